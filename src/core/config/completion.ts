// Completion of keys and values in YAML config files, derived from the JSON Schema generated from
// zod (never hand-kept). Works line by line, so it also works while the file is half typed.
// JSON files get completion from VS Code's JSON support through the contributed schemas.
import { schemaAtPath, pickObjectBranch, objectBranches, branches, typeLabel, type ConfigKind, type JSONSchema } from './jsonSchema';

export interface CompletionItem {
  label: string;
  kind: 'property' | 'value';
  detail?: string;
  documentation?: string;
  insertText?: string;
}

interface LineInfo {
  /** Column of the first `- ` marker, or -1. */
  dash: number;
  /** Column where the key starts (after any `- ` markers). */
  content: number;
  key?: string;
  /** Text after `key:` (trimmed), '' when the value follows on the next lines. */
  rest?: string;
  blank: boolean;
}

function lineInfo(line: string): LineInfo {
  const m = /^( *)((?:- +)*)(.*)$/.exec(line) as RegExpExecArray;
  const indent = (m[1] as string).length;
  const dashes = m[2] as string;
  const body = m[3] as string;
  const content = indent + dashes.length;
  if (body.trim() === '' || body.trimStart().startsWith('#')) return { dash: dashes ? indent : -1, content, blank: dashes.length === 0 };
  const km = /^("[^"]*"|'[^']*'|[^\s:#][^:#]*?)\s*:(?:\s+(.*))?$/.exec(body) ?? /^([^\s:#][^:#]*?)\s*:$/.exec(body);
  if (!km) return { dash: dashes ? indent : -1, content, blank: false };
  const key = (km[1] as string).replace(/^["']|["']$/g, '');
  return { dash: dashes ? indent : -1, content, key, rest: (km[2] ?? '').replace(/\s+#.*$/, '').trim(), blank: false };
}

/** The key path of the mapping whose keys start at column `col` on line `lineNo`. */
function parentPath(lines: string[], lineNo: number, col: number, inItemAt: number): { path: (string | number)[]; siblings: string[] } {
  const path: (string | number)[] = [];
  const siblings: string[] = [];
  let cur = col;
  let seqDash = inItemAt; // when >= 0, we are in a list item whose dash is at this column
  // A new list item (`- |`) has no siblings above it.
  let collecting = inItemAt < 0;
  if (seqDash >= 0) path.unshift(0);
  for (let i = lineNo - 1; i >= 0; i--) {
    const li = lineInfo(lines[i] as string);
    if (li.blank || (li.key === undefined && li.dash < 0)) continue;
    if (collecting && li.content === cur && li.key !== undefined) siblings.push(li.key);
    if (seqDash >= 0) {
      // The key that owns the list is at the dash column or left of it.
      if (li.dash === seqDash) {
        if (collecting && li.content === cur && li.key !== undefined) {
          /* first key of our item: already collected */
        }
        if (path[0] === 0 && collecting) collecting = false;
        continue;
      }
      if (li.key !== undefined && li.content <= seqDash && li.dash < 0 && li.rest === '') {
        path.unshift(li.key);
        cur = li.content;
        seqDash = -1;
        collecting = false;
        continue;
      }
      if (li.dash >= 0 && li.dash < seqDash && li.key !== undefined && li.rest === '' && li.content <= seqDash) {
        // `- key:` whose value is our list
        path.unshift(li.key);
        path.unshift(0);
        cur = li.content;
        seqDash = li.dash;
        collecting = false;
        continue;
      }
      continue;
    }
    if (li.content < cur && li.dash >= 0 && li.dash < cur && li.content === cur) continue;
    if (li.dash >= 0 && li.content === cur && li.dash < cur) {
      // first line of the list item holding our mapping
      path.unshift(0);
      seqDash = li.dash;
      collecting = false;
      continue;
    }
    if (li.content < cur && li.key !== undefined) {
      collecting = false;
      if (li.rest !== '') break; // not a parent: a scalar at a lower indent ends the block
      path.unshift(li.key);
      cur = li.content;
      if (li.dash >= 0) {
        path.unshift(0);
        seqDash = li.dash;
      }
      if (cur === 0 && li.dash < 0) break;
    }
  }
  // Siblings below the cursor, in the same block.
  for (let i = lineNo + 1; i < lines.length; i++) {
    const li = lineInfo(lines[i] as string);
    if (li.blank) continue;
    if (li.content < col || (li.dash >= 0 && li.dash < col)) break;
    if (li.content === col && li.key !== undefined && li.dash < 0) siblings.push(li.key);
  }
  return { path, siblings };
}

function valueItems(s: JSONSchema): CompletionItem[] {
  const out: CompletionItem[] = [];
  for (const b of branches(s)) {
    for (const v of b.enum ?? []) out.push({ label: String(v), kind: 'value', detail: typeLabel(s) });
    if (b.type === 'boolean') out.push({ label: 'true', kind: 'value', detail: 'boolean' }, { label: 'false', kind: 'value', detail: 'boolean' });
  }
  return out;
}

export function completionsAt(kind: ConfigKind, text: string, offset: number): CompletionItem[] {
  if (/^\s*[{[]/.test(text)) return [];
  const before = text.slice(0, offset);
  const lineNo = (before.match(/\n/g) ?? []).length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lines = text.split('\n');
  const prefix = before.slice(lineStart);
  const m = /^( *)((?:- +)*)(.*)$/.exec(prefix) as RegExpExecArray;
  const indent = (m[1] as string).length;
  const dashes = m[2] as string;
  const typed = m[3] as string;
  const col = indent + dashes.length;
  const inItemAt = dashes ? indent + dashes.lastIndexOf('-') : -1;
  const { path, siblings } = parentPath(lines, lineNo, col, inItemAt);
  const rootKeys = lines.map(lineInfo).filter((l) => l.content === 0 && l.dash < 0 && l.key !== undefined).map((l) => l.key as string);
  const keysAt = (d: number, own: string[]) => (d === 0 && path.length > 0 ? rootKeys : own);
  const valueMatch = /^([A-Za-z_][\w-]*)\s*:\s*(\S*)$/.exec(typed);
  if (valueMatch) {
    const key = valueMatch[1] as string;
    const s = schemaAtPath(kind, [...path, key], (d) => keysAt(d, [...siblings, key]));
    return s ? valueItems(s) : [];
  }
  if (!/^[A-Za-z_]?[\w-]*$/.test(typed)) return [];
  const here = schemaAtPath(kind, path, (d) => keysAt(d, siblings));
  const keysHere = path.length === 0 ? [...new Set([...siblings, ...rootKeys])] : siblings;
  let parent = pickObjectBranch(here, keysHere);
  // In an empty mapping with several forms (an experiment file: instances: or one instance), offer all.
  const forms = objectBranches(here);
  if (keysHere.length === 0 && forms.length > 1) parent = { type: 'object', properties: Object.assign({}, ...forms.map((f) => f.properties ?? {})) as Record<string, JSONSchema>, required: [] };
  if (!parent?.properties) return [];
  const present = new Set(siblings);
  const required = new Set(parent.required ?? []);
  const items: CompletionItem[] = [];
  for (const [key, s] of Object.entries(parent.properties)) {
    if (present.has(key)) continue;
    const b = branches(s);
    const isBlock = b.some((x) => x.type === 'object' || x.type === 'array');
    items.push({
      label: key,
      kind: 'property',
      detail: `${typeLabel(s)}${required.has(key) ? ' (required)' : ''}`,
      documentation: s.description,
      insertText: isBlock ? `${key}:\n` : `${key}: `,
    });
  }
  return items;
}
