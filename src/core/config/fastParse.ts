// A fast parser for the plain subset of YAML that config files use (block mappings and lists,
// one-line plain or simply quoted scalars, one-line flow lists of scalars, comments) and for JSON.
// It returns undefined as soon as it meets anything else (anchors, tags, block scalars, multi-line
// values, tabs, odd indentation, duplicate keys, any error); the `yaml` package then parses the
// file and reports problems. Both build the same YNode tree with the same source offsets.
import type { YNode, YMap, YSeq, YScalar, YPair, Scalar } from './ast';

class Bail extends Error {}
const bail = (): never => {
  throw new Bail();
};

interface Line {
  /** Offset of the line start. */
  start: number;
  /** Column where the content starts. */
  indent: number;
  /** Content from `indent` to the end of the line (no newline). */
  text: string;
}

const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const KEY = /^([A-Za-z0-9_][A-Za-z0-9_.\-/]*) *:(?= |$)/;

/** YAML 1.2 core schema resolution of a plain scalar (as the `yaml` package does). */
function resolvePlain(s: string): Scalar {
  switch (s) {
    case '':
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
  }
  const c = s.charCodeAt(0);
  // Digits, sign or dot: a number, or something the yaml package should decide (0x, 0o, .inf).
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    if (INT.test(s) || FLOAT.test(s)) {
      const n = Number(s);
      if (!Number.isFinite(n) || (INT.test(s) && !Number.isSafeInteger(n))) bail();
      return n;
    }
    if (/^[-+]?(0x|0o|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN)/.test(s)) bail();
  }
  return s;
}

function checkPlain(s: string, inFlow: boolean): void {
  const c = s[0];
  if (c === undefined) return;
  if ('?:,[]{}#&*!|>\'"%@`'.includes(c)) bail();
  if (c === '-' && (s.length === 1 || s[1] === ' ')) bail();
  if (s.includes(': ') || s.endsWith(':') || s.includes(' #')) bail();
  if (inFlow && /[,[\]{}:]/.test(s)) bail();
}

function scalar(start: number, end: number, value: Scalar): YScalar {
  return { kind: 'scalar', range: [start, end], value };
}

/** A one-line value in block context starting at offset `o` (the text is `s`). */
function inlineValue(s: string, o: number): YNode {
  const c = s[0];
  let node: YNode;
  let used: number;
  if (c === '"' || c === "'") {
    const close = s.indexOf(c, 1);
    if (close < 0) bail();
    const inner = s.slice(1, close);
    if (c === '"' && inner.includes('\\')) bail();
    if (c === "'" && s[close + 1] === "'") bail();
    node = scalar(o, o + close + 1, inner);
    used = close + 1;
  } else if (c === '[') {
    const close = s.indexOf(']');
    if (close < 0) bail();
    const body = s.slice(1, close);
    if (/[[{}]/.test(body)) bail();
    const items: YNode[] = [];
    if (body.trim() !== '') {
      let pos = 1;
      for (const part of body.split(',')) {
        const lead = part.length - part.trimStart().length;
        const t = part.trim();
        if (t === '') bail();
        const at = o + pos + lead;
        if (t[0] === '"' || t[0] === "'") {
          if (t.length < 2 || t[t.length - 1] !== t[0] || t.slice(1, -1).includes(t[0]) || t.includes('\\')) bail();
          items.push(scalar(at, at + t.length, t.slice(1, -1)));
        } else {
          checkPlain(t, true);
          items.push(scalar(at, at + t.length, resolvePlain(t)));
        }
        pos += part.length + 1;
      }
    }
    node = { kind: 'seq', range: [o, o + close + 1], items } satisfies YSeq;
    used = close + 1;
  } else if (c === '{') {
    if (!/^\{ *\}/.test(s)) bail();
    used = s.indexOf('}') + 1;
    node = { kind: 'map', range: [o, o + used], pairs: [] } satisfies YMap;
  } else {
    let end = s.length;
    const hash = s.indexOf(' #');
    if (hash >= 0) end = hash;
    const t = s.slice(0, end).trimEnd();
    checkPlain(t, false);
    return scalar(o, o + t.length, resolvePlain(t));
  }
  const rest = s.slice(used);
  if (rest.trim() !== '' && !/^ +#/.test(rest)) bail();
  return node;
}

function parseYamlSubset(text: string): YNode | null {
  if (text.includes('\t') || text.includes('\r')) bail();
  const lines: Line[] = [];
  let start = 0;
  while (start <= text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const raw = text.slice(start, nl);
    let indent = 0;
    while (raw.charCodeAt(indent) === 32) indent++;
    const body = raw.slice(indent);
    if (body !== '' && body[0] !== '#') {
      if (indent === 0 && (body.startsWith('---') || body.startsWith('...') || body[0] === '%')) bail();
      lines.push({ start, indent, text: body.trimEnd() });
    }
    start = nl + 1;
  }
  if (lines.length === 0) return null;
  let i = 0;

  const isItem = (l: Line) => l.text === '-' || l.text.startsWith('- ');

  function block(l: Line): YNode {
    if (isItem(l)) return seq(l.indent);
    if (KEY.test(l.text)) return map(l.indent);
    return bail();
  }

  function map(n: number): YMap {
    const first = lines[i] as Line;
    const pairs: YPair[] = [];
    let end = first.start + first.indent;
    while (i < lines.length) {
      const l = lines[i] as Line;
      if (l.indent !== n || isItem(l)) break;
      const m = KEY.exec(l.text);
      if (!m) bail();
      const key = (m as RegExpExecArray)[1] as string;
      for (const q of pairs) if (q.key === key) bail();
      const ko = l.start + l.indent;
      const keyRange: [number, number] = [ko, ko + key.length];
      let restAt = (m as RegExpExecArray)[0].length;
      while (l.text[restAt] === ' ') restAt++;
      const rest = l.text.slice(restAt);
      i++;
      let value: YNode | null = null;
      if (rest === '' || rest[0] === '#') {
        const next = lines[i];
        if (next && next.indent > n) value = block(next);
        else if (next && next.indent === n && isItem(next)) value = seq(n);
      } else {
        value = inlineValue(rest, ko + restAt);
        const next = lines[i];
        if (next && next.indent > n) bail();
      }
      pairs.push({ key, keyRange, value, valueStart: keyRange[1] });
      end = value ? value.range[1] : keyRange[1] + 1;
    }
    const next = lines[i];
    if (next && next.indent > n) bail();
    return { kind: 'map', range: [first.start + first.indent, end], pairs };
  }

  function seq(n: number): YSeq {
    const first = lines[i] as Line;
    const items: YNode[] = [];
    let end = first.start + first.indent;
    while (i < lines.length) {
      const l = lines[i] as Line;
      if (l.indent !== n || !isItem(l)) break;
      const dashAt = l.start + l.indent;
      let k = 1;
      while (l.text[k] === ' ') k++;
      const rest = l.text.slice(k);
      let item: YNode;
      if (rest === '' || rest[0] === '#') {
        i++;
        const next = lines[i];
        // An empty item: where the yaml package puts its empty value depends on comments; let it decide.
        item = next && next.indent > n ? block(next) : bail();
      } else if (rest === '-' || rest.startsWith('- ')) {
        return bail();
      } else if (KEY.test(rest)) {
        // `- key: value`: a mapping whose keys start at this column; re-read this line as its first key.
        lines[i] = { start: l.start, indent: l.indent + k, text: rest };
        item = map(l.indent + k);
      } else {
        item = inlineValue(rest, dashAt + k);
        i++;
        const next = lines[i];
        if (next && next.indent > n) bail();
      }
      items.push(item);
      end = item.range[1];
    }
    const next = lines[i];
    if (next && next.indent > n && !(isItem(next) && false)) bail();
    return { kind: 'seq', range: [first.start + first.indent, end], items };
  }

  const root = block(lines[0] as Line);
  if (i < lines.length) bail();
  return root;
}

// ---------------------------------------------------------------------------------------------
// JSON

function parseJson(text: string): YNode {
  let p = 0;
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(p);
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else break;
    }
  };
  const str = (): [string, number, number] => {
    const s = p;
    p++;
    for (;;) {
      const c = text.charCodeAt(p);
      if (Number.isNaN(c) || c === 10) bail();
      if (c === 92) p += 2;
      else if (c === 34) break;
      else p++;
    }
    p++;
    let v: unknown;
    try {
      v = JSON.parse(text.slice(s, p));
    } catch {
      bail();
    }
    return [v as string, s, p];
  };
  const value = (depth: number): YNode => {
    if (depth > 64) bail();
    ws();
    const c = text[p];
    const s = p;
    if (c === '{') {
      p++;
      const pairs: YPair[] = [];
      const seen = new Set<string>();
      ws();
      if (text[p] === '}') {
        p++;
        return { kind: 'map', range: [s, p], pairs };
      }
      for (;;) {
        ws();
        if (text[p] !== '"') bail();
        const [key, ks, ke] = str();
        if (seen.has(key)) bail();
        seen.add(key);
        ws();
        if (text[p] !== ':') bail();
        p++;
        const v = value(depth + 1);
        pairs.push({ key, keyRange: [ks, ke], value: v, valueStart: ke });
        ws();
        if (text[p] === ',') {
          p++;
          continue;
        }
        if (text[p] === '}') {
          p++;
          return { kind: 'map', range: [s, p], pairs };
        }
        return bail();
      }
    }
    if (c === '[') {
      p++;
      const items: YNode[] = [];
      ws();
      if (text[p] === ']') {
        p++;
        return { kind: 'seq', range: [s, p], items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[p] === ',') {
          p++;
          continue;
        }
        if (text[p] === ']') {
          p++;
          return { kind: 'seq', range: [s, p], items };
        }
        return bail();
      }
    }
    if (c === '"') {
      const [v, a, b] = str();
      return scalar(a, b, v);
    }
    const m = /^(?:true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)/.exec(text.slice(p, p + 64));
    if (!m) return bail();
    const tok = m[0];
    p += tok.length;
    if (tok === 'true') return scalar(s, p, true);
    if (tok === 'false') return scalar(s, p, false);
    if (tok === 'null') return scalar(s, p, null);
    const n = Number(tok);
    if (!Number.isFinite(n) || (/^-?[0-9]+$/.test(tok) && !Number.isSafeInteger(n))) bail();
    return scalar(s, p, n);
  };
  const root = value(0);
  ws();
  if (p !== text.length) bail();
  return root;
}

/**
 * The tree of `text` when it is plain block YAML or JSON, `null` for an empty document, or
 * `undefined` when the full YAML parser must decide.
 */
export function fastParse(text: string): YNode | null | undefined {
  try {
    const t = text.trimStart();
    if (t.startsWith('{')) return parseJson(text);
    return parseYamlSubset(text);
  } catch (e) {
    if (e instanceof Bail) return undefined;
    throw e;
  }
}
