// The seed's manual placement format: "id:node,id2:node2". Errors carry the 1-based column of the
// entry in the spec so the CLI can point at it.
export interface SpecError {
  /** 1-based column in the spec string where the problem starts. */
  column: number;
  message: string;
}

export type SpecResult = { ok: true; pins: Record<string, string> } | { ok: false; errors: SpecError[] };

function suggest(word: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? ` Did you mean "${best}"?` : '';
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

export function parsePlacementSpec(spec: string, knownIds: Iterable<string>, knownNodes: Iterable<string>): SpecResult {
  const ids = new Set(knownIds);
  const nodes = new Set(knownNodes);
  const pins: Record<string, string> = {};
  const errors: SpecError[] = [];
  if (spec.trim() === '') return { ok: false, errors: [{ column: 1, message: 'the placement spec is empty; expected "instance_id:node,instance_id2:node2"' }] };
  let offset = 0;
  for (const raw of spec.split(',')) {
    const col = offset + 1 + (raw.length - raw.trimStart().length);
    offset += raw.length + 1;
    const entry = raw.trim();
    if (entry === '') {
      errors.push({ column: col, message: 'empty entry (two commas in a row, or a trailing comma)' });
      continue;
    }
    const colon = entry.indexOf(':');
    if (colon < 0) {
      errors.push({ column: col, message: `"${entry}" has no ":"; each entry is instance_id:node` });
      continue;
    }
    const id = entry.slice(0, colon).trim();
    const node = entry.slice(colon + 1).trim();
    if (!id || !node || node.includes(':')) {
      errors.push({ column: col, message: `"${entry}" is not instance_id:node` });
      continue;
    }
    let bad = false;
    if (!ids.has(id)) {
      errors.push({ column: col, message: `unknown instance "${id}": it is in none of the experiment files.${suggest(id, ids)}` });
      bad = true;
    }
    if (!nodes.has(node)) {
      errors.push({ column: col + colon + 1, message: `unknown node "${node}": it is not in the cluster file.${suggest(node, nodes)}` });
      bad = true;
    }
    if (bad) continue;
    const prev = pins[id];
    if (prev !== undefined && prev !== node) {
      errors.push({ column: col, message: `instance "${id}" is pinned twice, to ${prev} and to ${node}` });
      continue;
    }
    pins[id] = node;
  }
  return errors.length ? { ok: false, errors } : { ok: true, pins };
}
