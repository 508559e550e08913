// Hover documentation for the key (or value) under the cursor, from the zod .describe() texts
// carried into the generated JSON Schema.
import { parseSource, type YNode, type PathSeg, type YPair } from './ast';
import { LineIndex, type Range } from './diagnostics';
import { schemaAtPath, keyDocMarkdown, pickObjectBranch, type ConfigKind } from './jsonSchema';

interface Hit {
  path: PathSeg[];
  pair: YPair;
  /** Keys present in each mapping along the path. */
  keys: string[][];
}

function within(o: number, r: readonly [number, number]): boolean {
  return o >= r[0] && o <= r[1];
}

/** The deepest key: value pair whose key or value contains `offset`. */
export function pairAt(root: YNode | null, offset: number): Hit | undefined {
  let node = root;
  const path: PathSeg[] = [];
  const keys: string[][] = [];
  let hit: Hit | undefined;
  while (node) {
    if (node.kind === 'map') {
      const p = node.pairs.find((q) => within(offset, q.keyRange) || (q.value !== null && within(offset, q.value.range)));
      if (!p) break;
      keys.push(node.pairs.map((q) => q.key));
      path.push(p.key);
      hit = { path: [...path], pair: p, keys: keys.map((k) => k) };
      if (within(offset, p.keyRange)) break;
      node = p.value;
    } else if (node.kind === 'seq') {
      const i = node.items.findIndex((it) => within(offset, it.range));
      if (i < 0) break;
      keys.push([]);
      path.push(i);
      node = node.items[i] ?? null;
    } else break;
  }
  return hit;
}

export function hoverAt(kind: ConfigKind, text: string, offset: number): { markdown: string; range: Range } | undefined {
  const { root } = parseSource(text);
  const hit = pairAt(root, offset);
  if (!hit) return undefined;
  const s = schemaAtPath(kind, hit.path, (d) => hit.keys[d] ?? []);
  if (!s) return undefined;
  const parentPath = hit.path.slice(0, -1);
  const parent = pickObjectBranch(schemaAtPath(kind, parentPath, (d) => hit.keys[d] ?? []), hit.keys[hit.path.length - 1] ?? []);
  const required = parent?.required?.includes(hit.pair.key) ?? false;
  const lines = new LineIndex(text);
  const onKey = within(offset, hit.pair.keyRange);
  const r = onKey || !hit.pair.value ? hit.pair.keyRange : hit.pair.value.range;
  return { markdown: keyDocMarkdown(hit.pair.key, s, required), range: lines.range(r[0], r[1]) };
}
