// A small syntax tree of a config file with source offsets, built from the `yaml` parser's
// document. Validation, hover and completion work on it; positions come from its offsets.
import { fastParse } from './fastParse';
import { parseDocument, isMap, isSeq, isScalar, isAlias, isPair, type Node as YamlNode, type Document } from 'yaml';

export type Offsets = [start: number, end: number];
export type Scalar = string | number | boolean | null;

export interface YMap {
  kind: 'map';
  range: Offsets;
  pairs: YPair[];
}
export interface YSeq {
  kind: 'seq';
  range: Offsets;
  items: YNode[];
}
export interface YScalar {
  kind: 'scalar';
  range: Offsets;
  value: Scalar;
}
export type YNode = YMap | YSeq | YScalar;

export interface YPair {
  key: string;
  keyRange: Offsets;
  /** null when the key has no value at all (`key:` with nothing after it). */
  value: YNode | null;
  /** Offset right after the `:` (or the key), where a missing value would go. */
  valueStart: number;
}

export interface SyntaxProblem {
  code: string;
  message: string;
  range: Offsets;
}

export interface ParsedSource {
  root: YNode | null;
  problems: SyntaxProblem[];
}

const SYNTAX_FIXES: Record<string, string> = {
  TAB_AS_INDENT: 'tabs are not allowed for indentation in YAML; indent with spaces',
  BAD_INDENT: 'bad indentation',
  MISSING_CHAR: 'a closing character is missing',
  BAD_SCALAR_START: 'a value cannot start with this character; quote the value',
  BLOCK_AS_IMPLICIT_KEY: 'a nested block cannot be used as a key; check the indentation and the ":" after each key',
  MULTILINE_IMPLICIT_KEY: 'a key cannot span several lines; check for a missing ":" or quote',
  UNEXPECTED_TOKEN: 'unexpected text',
};

function cleanParserMessage(code: string, raw: string): string {
  let m = raw.split('\n')[0] ?? raw;
  m = m.replace(/ at line \d+, column \d+:?$/, '').trim();
  if (code === 'TAB_AS_INDENT') return 'tabs are not allowed as indentation in YAML; indent with spaces instead';
  if (code === 'MISSING_CHAR' && /quote/i.test(m)) return `${m.replace(/^Missing closing "quote/, 'missing closing " quote').replace(/^Missing closing 'quote/, "missing closing ' quote")}: a quoted string is never closed; add the closing quote`;
  if (code === 'BAD_INDENT' && !/flow/i.test(m)) return `${lcFirst(m)}; indent with spaces so that keys of the same mapping start at the same column`;
  if (code === 'BLOCK_AS_IMPLICIT_KEY' || code === 'MULTILINE_IMPLICIT_KEY' || /nested mappings are not allowed/i.test(m))
    return `cannot read this as key: value (${lcFirst(m)}); check the indentation of this line and the lines below it, and the ":" after each key`;
  if (/flow (sequence|mapping)/i.test(m)) return `${lcFirst(m)}; close the [ or { with its matching ] or }`;
  const hint = SYNTAX_FIXES[code];
  return `YAML syntax error: ${lcFirst(m)}${hint && !m.toLowerCase().includes(hint) ? ` (${hint})` : ''}; fix the YAML syntax here`;
}

function lcFirst(s: string): string {
  return s ? s[0]!.toLowerCase() + s.slice(1) : s;
}

function rangeOf(n: YamlNode | null | undefined, fallback: number): Offsets {
  const r = n?.range;
  return r ? [r[0], r[1]] : [fallback, fallback];
}

/** Parses YAML (or JSON, which is YAML) into a YNode tree; never throws. */
export function parseSource(text: string): ParsedSource {
  const fast = fastParse(text);
  if (fast !== undefined) return { root: fast, problems: [] };
  return parseSourceWithYaml(text);
}

/** The full `yaml` parser path (also used for every file the fast path declines). */
export function parseSourceWithYaml(text: string): ParsedSource {
  const problems: SyntaxProblem[] = [];
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: true, stringKeys: false });
  } catch (e) {
    return { root: null, problems: [{ code: 'yaml-syntax', message: `cannot parse the file: ${e instanceof Error ? e.message : String(e)}; check the YAML syntax`, range: [0, 0] }] };
  }
  const seenAt = new Set<number>();
  for (const e of doc.errors) {
    if (seenAt.has(e.pos[0])) continue;
    seenAt.add(e.pos[0]);
    problems.push({ code: 'yaml-syntax', message: cleanParserMessage(e.code, e.message), range: [e.pos[0], Math.max(e.pos[0], e.pos[1])] });
  }
  const root = doc.contents ? convert(doc.contents as YamlNode, doc, problems, 0, 0, { aliasNodes: 0, exceeded: false }) : null;
  return { root, problems };
}

/** Values an alias may expand to, in all, per file: stops "billion laughs" alias bombs. */
export const MAX_ALIAS_EXPANSION = 100_000;

interface AliasBudget {
  /** Nodes produced so far by expanding aliases. */
  aliasNodes: number;
  exceeded: boolean;
}

function convert(node: YamlNode | null | undefined, doc: Document.Parsed, problems: SyntaxProblem[], fallback: number, depth: number, budget: AliasBudget, inAlias = false): YNode | null {
  if (!node) return null;
  if (budget.exceeded) return null;
  if (inAlias && ++budget.aliasNodes > MAX_ALIAS_EXPANSION) {
    budget.exceeded = true;
    return null;
  }
  if (depth > 64) {
    problems.push({ code: 'too-deep', message: 'the file is nested too deeply; config files are at most a few levels deep', range: rangeOf(node, fallback) });
    return null;
  }
  if (isAlias(node)) {
    const target = node.resolve(doc);
    const c = convert(target as YamlNode | undefined, doc, problems, fallback, depth + 1, budget, true);
    if (budget.exceeded) {
      // Reported once, at the outermost alias whose expansion went over the limit.
      if (!inAlias) {
        problems.push({
          code: 'alias-bomb',
          message: `this alias (*name) expands, with the aliases inside it, to more than ${MAX_ALIAS_EXPANSION} values (an alias bomb); use fewer nested aliases, or write the values out`,
          range: rangeOf(node, fallback),
        });
      }
      return null;
    }
    return c ? { ...c, range: rangeOf(node, fallback) } : null;
  }
  if (isScalar(node)) {
    const v = node.value;
    let value: Scalar;
    if (v === null || v === undefined) value = null;
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') value = v;
    else if (typeof v === 'bigint') value = Number(v);
    else value = String(v);
    return { kind: 'scalar', range: rangeOf(node, fallback), value };
  }
  if (isSeq(node)) {
    const range = rangeOf(node, fallback);
    const items: YNode[] = [];
    for (const it of node.items) {
      if (isPair(it)) {
        problems.push({ code: 'yaml-syntax', message: 'a key: value pair inside a list item is not supported here; write it as a mapping', range: rangeOf(it.key as YamlNode, range[0]) });
        continue;
      }
      const c = convert(it as YamlNode, doc, problems, range[0], depth + 1, budget, inAlias);
      items.push(c ?? { kind: 'scalar', range: rangeOf(it as YamlNode, range[0]), value: null });
    }
    return { kind: 'seq', range, items };
  }
  if (isMap(node)) {
    const range = rangeOf(node, fallback);
    const pairs: YPair[] = [];
    const seen = new Map<string, YPair>();
    for (const p of node.items) {
      const k = p.key as YamlNode | null;
      let key: string;
      if (k === null || k === undefined) key = '';
      else if (isScalar(k)) key = typeof k.value === 'string' ? k.value : (k.source ?? (k.value === null || k.value === undefined ? '' : String(k.value)));
      else {
        problems.push({ code: 'complex-key', message: 'a key must be a plain name like ram_gb, not a list or mapping; check the indentation and the ":" after the key', range: rangeOf(k, range[0]) });
        continue;
      }
      const keyRange = rangeOf(k, range[0]);
      const v = p.value as YamlNode | null;
      const valueStart = keyRange[1];
      const value = v === null || v === undefined ? null : convert(v, doc, problems, valueStart, depth + 1, budget, inAlias);
      // `key:` with nothing after it parses as an empty scalar: keep it as "no value".
      const pair: YPair = { key, keyRange, value: value && value.kind === 'scalar' && value.value === null && value.range[0] === value.range[1] ? null : value, valueStart };
      const prev = seen.get(key);
      if (prev) {
        problems.push({
          code: 'duplicate-key',
          message: `duplicate key "${key}": it already appears at the same level above; keep only one "${key}:" in this mapping`,
          range: keyRange,
        });
        continue;
      }
      seen.set(key, pair);
      pairs.push(pair);
    }
    return { kind: 'map', range, pairs };
  }
  return null;
}

export function getPair(map: YMap, key: string): YPair | undefined {
  for (const p of map.pairs) if (p.key === key) return p;
  return undefined;
}

/** Plain JS value of a node (maps as objects, seqs as arrays). */
export function toJS(n: YNode | null): unknown {
  if (!n) return null;
  switch (n.kind) {
    case 'scalar':
      return n.value;
    case 'seq':
      return n.items.map(toJS);
    case 'map': {
      const o: Record<string, unknown> = {};
      for (const p of n.pairs) o[p.key] = p.value ? toJS(p.value) : null;
      return o;
    }
  }
}

export type PathSeg = string | number;

/** Where a path points: the deepest existing node, and the pair (if any) it is the value of. */
export interface Located {
  node: YNode | null;
  /** The pair whose value `node` is (or whose value is missing). */
  pair?: YPair;
  /** How many path segments were resolved. */
  depth: number;
  /** The parent of `node`, when there is one. */
  parent?: YNode;
}

export function locate(root: YNode | null, path: readonly PathSeg[]): Located {
  let node: YNode | null = root;
  let pair: YPair | undefined;
  let parent: YNode | undefined;
  let depth = 0;
  for (const seg of path) {
    if (!node) break;
    if (node.kind === 'map' && typeof seg === 'string') {
      const p = getPair(node, seg);
      if (!p) break;
      parent = node;
      pair = p;
      node = p.value;
    } else if (node.kind === 'seq' && typeof seg === 'number') {
      const it = node.items[seg];
      if (!it) break;
      parent = node;
      pair = undefined;
      node = it;
    } else break;
    depth++;
  }
  return { node, pair, depth, parent };
}
