// Validation of cluster and experiment files with positioned diagnostics. One code path for the
// editor and the CLI: both call these functions and only differ in how they show the result.
import type { z } from 'zod';
import { parseSource, locate, getPair, type YNode, type YMap, type Offsets, type PathSeg, type Scalar } from './ast';
import { LineIndex, hasErrors, sortDiagnostics, type Diagnostic, type Severity } from './diagnostics';
import { jsonSchemaFor, pickObjectBranch, objectBranches, arrayItems, propertySchema, isClosedObject, branches, type ConfigKind, type JSONSchema } from './jsonSchema';
import {
  clusterFileSchema,
  NODE_TYPES,
  failoverSchema,
  instanceSchema,
  experimentFileSchema,
  type ClusterFile,
  type InstanceConfig,
  type FailoverPolicy,
  type NodeConfig,
} from './schema';

export interface SourceText {
  file: string;
  text: string;
}

export interface WorkspaceModel {
  cluster: ClusterFile;
  clusterFile: string;
  /** Every instance of every experiment file, with `failover` merged and defaults filled. */
  instances: InstanceConfig[];
  /** instance_id → the experiment file that defines it. */
  instanceSource: Record<string, string>;
}

/** One parsed and checked file, with what cross-file checks need. */
interface FileCheck {
  file: string;
  lines: LineIndex;
  root: YNode | null;
  diagnostics: Diagnostic[];
}

class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  constructor(
    readonly file: string,
    readonly lines: LineIndex,
  ) {}
  add(severity: Severity, code: string, message: string, at: Offsets): void {
    this.diagnostics.push({ file: this.file, severity, code, message, range: this.lines.range(at[0], at[1]) });
  }
  error(code: string, message: string, at: Offsets): void {
    this.add('error', code, message, at);
  }
  warning(code: string, message: string, at: Offsets): void {
    this.add('warning', code, message, at);
  }
}

// ---------------------------------------------------------------------------------------------
// Positions

/** Where a diagnostic about `path` goes: the value when it exists, else its key, else the parent. */
function valueOffsets(root: YNode | null, path: readonly PathSeg[]): Offsets {
  const loc = locate(root, path);
  if (loc.depth === path.length) {
    if (loc.node) return loc.node.range;
    if (loc.pair) return loc.pair.keyRange;
  }
  return missingOffsets(root, path);
}

/** Key of a path's pair (for unknown keys, duplicates); falls back to the value. */
function keyOffsets(root: YNode | null, path: readonly PathSeg[]): Offsets {
  const loc = locate(root, path);
  if (loc.depth === path.length && loc.pair) return loc.pair.keyRange;
  return valueOffsets(root, path);
}

/**
 * A missing key points at its parent's key; for a list item, at the item's first key (or the
 * item itself); at the top level, at the first key of the file.
 */
function missingOffsets(root: YNode | null, path: readonly PathSeg[]): Offsets {
  const loc = locate(root, path);
  const node = loc.node;
  if (loc.pair && loc.depth > 0 && (loc.parent?.kind === 'map' || !loc.parent)) return loc.pair.keyRange;
  if (node && node.kind === 'map') return node.pairs[0]?.keyRange ?? node.range;
  if (node) return node.range;
  return [0, 0];
}

// ---------------------------------------------------------------------------------------------
// Unknown keys: a schema-guided walk that also builds the plain value handed to zod, without them.

function levenshtein(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length] as number;
}

/** The closest of `candidates` to `word`, when it is close enough to be a likely typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase().replace(/-/g, '_');
  let best: string | undefined;
  let bestD = Infinity;
  const max = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  for (const c of candidates) {
    if (c.toLowerCase() === w) return c;
    const d = levenshtein(w, c.toLowerCase(), max);
    if (d <= max && d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function buildValue(node: YNode | null, schema: JSONSchema | undefined, path: PathSeg[], rep: Reporter, root: YNode | null): unknown {
  if (!node) return null;
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') {
    const item = arrayItems(schema);
    const out: unknown[] = [];
    for (let i = 0; i < node.items.length; i++) {
      path.push(i);
      out.push(buildValue(node.items[i] ?? null, item, path, rep, root));
      path.pop();
    }
    return out;
  }
  const obj = pickObjectBranch(schema, node.pairs.map((p) => p.key));
  const out: Record<string, unknown> = {};
  for (const p of node.pairs) {
    const sub = obj ? propertySchema(obj, p.key) : undefined;
    if (obj && !sub && isClosedObject(obj)) {
      const allowed = Object.keys(obj.properties ?? {});
      // Suggest from every form the schema allows here (e.g. `instance:` → instances).
      const guess = suggest(p.key, allowed) ?? suggest(p.key, [...new Set(objectBranches(schema).flatMap((b) => Object.keys(b.properties ?? {})))]);
      const at = describeLocation(root, path);
      rep.warning(
        'unknown-key',
        guess
          ? `unknown key "${p.key}"${at}; did you mean ${guess}? It is ignored until you rename it`
          : `unknown key "${p.key}"${at}; it is ignored. Valid keys here: ${allowed.join(', ')}`,
        p.keyRange,
      );
      continue;
    }
    path.push(p.key);
    out[p.key] = p.value ? buildValue(p.value, sub, path, rep, root) : p.value === null ? undefined : null;
    path.pop();
  }
  return out;
}

function describeLocation(root: YNode | null, path: readonly PathSeg[]): string {
  if (path.length === 0) return ' at the top level';
  const who = subjectOf(root, path).replace(/^ of /, '');
  const last = path[path.length - 1];
  if (typeof last === 'number') return who ? ` in ${who}` : ` in ${String(path[path.length - 2] ?? 'list')} entry ${last + 1}`;
  return who ? ` in ${String(last)} of ${who}` : ` in ${path.filter((s) => typeof s === 'string').join('.')}`;
}

// ---------------------------------------------------------------------------------------------
// zod issues → diagnostics

function describeActual(n: YNode | null): string {
  if (!n) return 'nothing';
  if (n.kind === 'map') return 'a mapping';
  if (n.kind === 'seq') return 'a list';
  return describeScalar(n.value);
}

function describeScalar(v: Scalar): string {
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'boolean') return String(v);
  return `the number ${v}`;
}

function fieldSchema(kind: ConfigKind, root: YNode | null, path: readonly PathSeg[]): JSONSchema | undefined {
  let s: JSONSchema | undefined = jsonSchemaFor(kind);
  for (let i = 0; i < path.length && s; i++) {
    const seg = path[i] as PathSeg;
    if (typeof seg === 'number') s = arrayItems(s);
    else {
      const here = locate(root, path.slice(0, i)).node;
      const keys = here && here.kind === 'map' ? here.pairs.map((p) => p.key) : [];
      s = propertySchema(pickObjectBranch(s, keys), seg);
    }
  }
  return s;
}

function exampleOf(key: string, s: JSONSchema | undefined): string {
  if (!s) return '';
  const ex = s.examples?.[0] ?? s.default;
  let v: unknown = ex;
  if (v === undefined) {
    const b = branches(s)[0] ?? s;
    if (b.enum) v = b.enum[0];
    else if (b.type === 'number') v = 1;
    else if (b.type === 'integer') v = 1;
    else if (b.type === 'boolean') v = true;
    else if (b.type === 'array') v = [];
    else return '';
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return '';
  return `, e.g. ${key}: ${Array.isArray(v) ? `[${v.map((x) => String(x)).join(', ')}]` : String(v)}`;
}

function subjectOf(root: YNode | null, path: readonly PathSeg[]): string {
  // "of node rpi1" / "of instance split_brain_A" when the path is inside one.
  const i = path.findIndex((s, idx) => typeof s === 'number' && (path[idx - 1] === 'nodes' || path[idx - 1] === 'instances'));
  if (i >= 0) {
    const list = path[i - 1];
    const item = locate(root, path.slice(0, i + 1)).node;
    const idKey = list === 'nodes' ? 'name' : 'instance_id';
    const idv = item && item.kind === 'map' ? getPair(item, idKey)?.value : undefined;
    const name = idv && idv.kind === 'scalar' && idv.value !== null ? String(idv.value) : `#${(path[i] as number) + 1}`;
    return ` of ${list === 'nodes' ? 'node' : 'instance'} ${name}`;
  }
  return '';
}

function keyLabel(path: readonly PathSeg[]): string {
  const last = path[path.length - 1];
  const prev = path[path.length - 2];
  if (typeof last === 'number') return `${String(prev ?? 'list')} entry ${last + 1}`;
  if (typeof prev === 'string') return `${prev}.${String(last)}`;
  return String(last ?? 'file');
}

const EXPECTED_TEXT: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  integer: 'a whole number',
  boolean: 'true or false',
  string: 'text',
  array: 'a list',
  object: 'a mapping of keys',
  record: 'a mapping of keys',
};

function fixForType(expected: string, key: string, s: JSONSchema | undefined): string {
  switch (expected) {
    case 'number':
    case 'int':
      return `write a plain number without units${exampleOf(key, s) || `, e.g. ${key}: 8`}`;
    case 'boolean':
      return `write ${key}: true or ${key}: false`;
    case 'string':
      return `write text; quote it if it looks like a number, e.g. ${key}: "value"`;
    case 'array':
      return `write a list, e.g. ${key}: [a, b] or one "- item" per line below it`;
    case 'object':
    case 'record':
      return `put its keys indented on the lines below ${key}:`;
    default:
      return `see the config reference for ${key}`;
  }
}

interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  values?: unknown[];
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  origin?: string;
  format?: string;
  divisor?: number;
}

function isGenericMessage(m: string): boolean {
  return /^(Invalid|Too (small|big)|Expected|Unrecognized)/.test(m);
}

function issueToDiagnostic(kind: ConfigKind, root: YNode | null, issue: ZodIssueLike, rep: Reporter, pathPrefix: readonly PathSeg[] = []): void {
  const path: PathSeg[] = [...pathPrefix, ...issue.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number')];
  const key = keyLabel(path);
  const leaf = typeof path[path.length - 1] === 'string' ? String(path[path.length - 1]) : key;
  const who = subjectOf(root, path);
  const s = fieldSchema(kind, root, path);
  const loc = locate(root, path);
  const exists = loc.depth === path.length;
  switch (issue.code) {
    case 'invalid_type': {
      if (!exists) {
        const ex = exampleOf(leaf, s);
        const isBlock = s !== undefined && branches(s).some((b) => b.type === 'object');
        const under = path.length > 1 && typeof path[path.length - 2] === 'string' ? ` under ${String(path[path.length - 2])}:` : '';
        rep.error('missing-key', `missing required key ${key}${who}; add ${ex ? ex.slice(7) : isBlock ? `${leaf}: with its keys indented below it` : `${leaf}: …`}${under}${s?.description ? ` (${s.description.replace(/\.$/, '')})` : ''}`, missingOffsets(root, path));
        return;
      }
      const actual = loc.node;
      if (!actual) {
        rep.error('missing-value', `${key}${who} has no value; give it ${EXPECTED_TEXT[issue.expected ?? ''] ?? 'a value'}${exampleOf(leaf, s)}`, valueOffsets(root, path));
        return;
      }
      const exp = issue.expected ?? '';
      if (typeof path[path.length - 1] === 'number' && exp === 'object') {
        const list = String(path[path.length - 2] ?? 'list');
        const item = s ? pickObjectBranch(s, []) : undefined;
        const firstKey = item?.required?.[0];
        const how = firstKey ? `write each entry as "- ${firstKey}: …" with its other keys indented below it` : 'write each entry as "- key: value" lines';
        rep.error('type', `${list} entry ${(path[path.length - 1] as number) + 1} must be a mapping of keys, not ${describeActual(actual)}; ${how}`, actual.range);
        return;
      }
      const expectedText = issue.format === 'safeint' ? 'a whole number' : (EXPECTED_TEXT[exp] ?? exp);
      if (issue.format === 'safeint') {
        rep.error('type', `${key}${who} must be a whole number, not ${describeActual(actual)}; ${fixForType('int', leaf, s)}`, actual.range);
        return;
      }
      rep.error('type', `${key}${who} must be ${expectedText}, not ${describeActual(actual)}; ${fixForType(exp, leaf, s)}`, actual.range);
      return;
    }
    case 'invalid_value': {
      const allowed = (issue.values ?? []).map((v) => String(v));
      const actual = loc.node;
      const got = actual && actual.kind === 'scalar' ? String(actual.value) : '';
      const guess = got ? suggest(got, allowed) : undefined;
      rep.error(
        'enum',
        `${key}${who} must be one of ${allowed.join(', ')}, not ${describeActual(actual)}${guess ? `; did you mean ${guess}?` : `; use one of the listed values`}`,
        valueOffsets(root, path),
      );
      return;
    }
    case 'too_small':
    case 'too_big': {
      const actual = loc.node;
      const base = isGenericMessage(issue.message) ? boundMessage(key, issue) : issue.message.replace(new RegExp(`^${escapeRe(String(path[path.length - 1] ?? ''))}\\b`), key);
      const hint = s?.['x-hint'] ? `; ${s['x-hint']}` : exampleOf(leaf, s) ? `; fix the value${exampleOf(leaf, s)}` : '';
      const withWho = who ? base.replace(key, `${key}${who}`) : base;
      rep.error('range', `${withWho}${actual && actual.kind === 'scalar' ? ` (it is ${String(actual.value)})` : ''}${hint}`, valueOffsets(root, path));
      return;
    }
    default: {
      const msg = isGenericMessage(issue.message) ? `${key}${who} is not valid: ${issue.message.toLowerCase()}` : issue.message;
      rep.error('invalid', `${msg}; see the config reference for ${key}`, valueOffsets(root, path));
    }
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function boundMessage(key: string, issue: ZodIssueLike): string {
  const isArray = issue.origin === 'array';
  const isString = issue.origin === 'string';
  if (issue.code === 'too_small') {
    const min = Number(issue.minimum);
    if (isString) return `${key} must not be empty`;
    if (isArray) return `${key} must have at least ${min} entr${min === 1 ? 'y' : 'ies'}`;
    return issue.inclusive === false ? `${key} must be greater than ${min}` : `${key} must be ${min} or more`;
  }
  const max = Number(issue.maximum);
  if (isString) return `${key} must be at most ${max} characters`;
  if (isArray) return `${key} must have at most ${max} entries`;
  return issue.inclusive === false ? `${key} must be less than ${max}` : `${key} must be ${max} or less`;
}

function runZod<T>(kind: ConfigKind, schema: z.ZodType<T>, value: unknown, root: YNode | null, rep: Reporter, prefix: readonly PathSeg[] = []): T | undefined {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  for (const issue of r.error.issues as unknown as ZodIssueLike[]) issueToDiagnostic(kind, root, issue, rep, prefix);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Files

function startFile(src: SourceText, kind: ConfigKind): { rep: Reporter; root: YNode | null; ok: boolean } {
  const lines = new LineIndex(src.text);
  const rep = new Reporter(src.file, lines);
  const nul = src.text.indexOf('\u0000');
  if (nul >= 0) {
    // Same check as the CLI's reader, so the editor reports it too.
    rep.error('nul-byte', 'the file contains a NUL byte (0x00), so it is not a text file; remove it or save the file as plain UTF-8 text', [nul, nul + 1]);
    return { rep, root: null, ok: false };
  }
  const parsed = parseSource(src.text);
  for (const p of parsed.problems) rep.error(p.code, p.message, p.range);
  if (parsed.problems.length) return { rep, root: parsed.root, ok: false };
  const root = parsed.root;
  const what = kind === 'cluster' ? 'a cluster file' : 'an experiment file';
  const needs = kind === 'cluster' ? 'cluster: (with name:) and nodes:' : 'instances: (a list) or the keys of one instance (instance_id:, ram_gb:, …)';
  if (!root || (root.kind === 'scalar' && root.value === null)) {
    rep.error('empty', `the file is empty; ${what} needs ${needs}`, [0, 0]);
    return { rep, root, ok: false };
  }
  if (root.kind !== 'map') {
    rep.error('not-mapping', `the top level of ${what} must be a mapping of keys, not ${describeActual(root)}; start with ${needs}`, root.range);
    return { rep, root, ok: false };
  }
  return { rep, root, ok: true };
}

interface ClusterCheck extends FileCheck {
  config?: ClusterFile;
  /** Names of the nodes as written (also when the file has errors). */
  nodeNames?: string[];
  /** The cluster-level failover as written (unknown keys removed), before defaults. */
  rawFailover?: Record<string, unknown>;
}

function checkCluster(src: SourceText): ClusterCheck {
  const { rep, root, ok } = startFile(src, 'cluster');
  const result: ClusterCheck = { file: src.file, lines: rep.lines, root, diagnostics: rep.diagnostics };
  if (!ok) return result;
  const value = buildValue(root, jsonSchemaFor('cluster'), [], rep, root);
  const rawNodes = asRecord(value)?.nodes;
  result.rawFailover = asRecord(asRecord(value)?.failover);
  result.nodeNames = Array.isArray(rawNodes) ? rawNodes.map((n) => asRecord(n)?.name).filter((n): n is string => typeof n === 'string') : [];
  const config = runZod('cluster', clusterFileSchema, value, root, rep);
  if (!config) {
    // Still check across fields where the fields involved are well-formed, so one bad value
    // hides nothing else (a duplicate name on an otherwise broken node is still reported).
    if (Array.isArray(rawNodes)) checkNodes(rawNodes, root, rep);
    return result;
  }
  if (config.nodes.length === 0) {
    rep.warning('no-nodes', 'the cluster has no nodes, so nothing can be placed; add nodes under nodes: (a type: host node runs on this machine)', getPair(root as YMap, 'nodes') ? keyOffsets(root, ['nodes']) : missingOffsets(root, ['nodes']));
  }
  const errorsBefore = rep.diagnostics.filter((d) => d.severity === 'error').length;
  checkNodes(Array.isArray(rawNodes) ? rawNodes : [], root, rep);
  if (rep.diagnostics.filter((d) => d.severity === 'error').length === errorsBefore) result.config = config;
  return result;
}

function fmtGb(n: number): string {
  return `${Number.isInteger(n) ? n : Number(n.toFixed(2))} GB`;
}

/** A field's value when it has the expected type, else undefined (its own diagnostic says why). */
const numberField = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Checks across the fields of the nodes, on the values as written: each check runs when the
 * fields it needs are well-formed, so a node with one bad value is still checked for the rest.
 */
function checkNodes(rawNodes: readonly unknown[], root: YNode | null, rep: Reporter): void {
  const seen = new Map<string, number>();
  rawNodes.forEach((raw, i) => {
    const n = asRecord(raw);
    if (!n) return;
    const p: PathSeg[] = ['nodes', i];
    const name = typeof n.name === 'string' && n.name !== '' ? n.name : undefined;
    const label = name ?? String(i + 1);
    if (name !== undefined) {
      const first = seen.get(name);
      if (first !== undefined) {
        const firstLine = rep.lines.position(valueOffsets(root, ['nodes', first, 'name'])[0]).line + 1;
        rep.error('duplicate-node', `duplicate node name "${name}": node ${first + 1} on line ${firstLine} has the same name; give every node a unique name`, valueOffsets(root, [...p, 'name']));
      } else seen.set(name, i);
    }
    const ram = numberField(n.ram_gb);
    const reserved = n.reserved_ram_gb === undefined ? 0 : numberField(n.reserved_ram_gb);
    if (ram !== undefined && ram > 0 && reserved !== undefined && reserved >= 0 && reserved >= ram) {
      rep.error(
        'reserved-ram',
        `reserved_ram_gb of node ${label} (${fmtGb(reserved)}) must be less than its ram_gb (${fmtGb(ram)}); lower reserved_ram_gb or correct ram_gb`,
        valueOffsets(root, [...p, 'reserved_ram_gb']),
      );
    }
    const gpu = n.gpu === undefined ? false : typeof n.gpu === 'boolean' ? n.gpu : undefined;
    if (n.gpu_memory_gb !== undefined && gpu === false) {
      rep.error('gpu-memory-without-gpu', `gpu_memory_gb is set on node ${label}, which has no GPU; add gpu: true if it has a CUDA GPU, or remove gpu_memory_gb`, keyOffsets(root, [...p, 'gpu_memory_gb']));
    }
    const type = n.type === undefined ? 'generic' : n.type;
    const knownType = typeof type === 'string' && (NODE_TYPES as readonly string[]).includes(type);
    if (knownType && type !== 'host' && (n.host === undefined || n.host === null)) {
      rep.error(
        'missing-host',
        `node ${label} has no host; add host: with its address or ~/.ssh/config alias (only nodes with type: host run locally without SSH)`,
        missingOffsets(root, [...p, 'host']),
      );
    }
  });
}

interface InstanceEntry {
  instance: InstanceConfig;
  /** The instance has errors of its own; only its well-formed fields were kept, for the checks across instances. */
  partial?: boolean;
  /** Path of the instance inside its file. */
  path: PathSeg[];
  /** The file-level and instance-level failover as written (before defaults). */
  fileFailover?: Record<string, unknown>;
  ownFailover?: Record<string, unknown>;
}

interface ExperimentCheck extends FileCheck {
  /** Instances that are valid on their own. */
  entries?: InstanceEntry[];
  /** Every instance_id written in the file (also of invalid instances). */
  knownIds?: string[];
  /** The whole file is valid. */
  complete?: boolean;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function checkExperiment(src: SourceText): ExperimentCheck {
  const { rep, root, ok } = startFile(src, 'experiment');
  const result: ExperimentCheck = { file: src.file, lines: rep.lines, root, diagnostics: rep.diagnostics };
  if (!ok || !root || root.kind !== 'map') return result;
  const value = asRecord(buildValue(root, jsonSchemaFor('experiment'), [], rep, root)) ?? {};
  const isFile = pickObjectBranch(jsonSchemaFor('experiment'), root.pairs.map((p) => p.key))?.properties?.instances !== undefined;
  const entries: InstanceEntry[] = [];
  const rawInstances = isFile ? (Array.isArray(value.instances) ? (value.instances as unknown[]) : []) : [value];
  result.knownIds = rawInstances.map((r) => asRecord(r)?.instance_id).filter((id): id is string => typeof id === 'string');
  if (isFile) {
    const fileSchema = experimentFileSchema.options[0];
    const parsed = runZod('experiment', fileSchema, value, root, rep);
    if (parsed) {
      parsed.instances.forEach((inst, i) => {
        entries.push({ instance: inst, path: ['instances', i], fileFailover: asRecord(value.failover), ownFailover: asRecord(asRecord(rawInstances[i])?.failover) });
      });
      if (parsed.instances.length === 0) rep.warning('no-instances', 'instances: is an empty list; add at least one instance with instance_id: and ram_gb:', keyOffsets(root, ['instances']));
    } else {
      // Keep every instance for the checks across instances: the valid ones whole, the others
      // with their well-formed fields (so a duplicate id or a bad reference is still reported).
      rawInstances.forEach((raw, i) => {
        const r = instanceSchema.safeParse(raw);
        if (r.success) entries.push({ instance: r.data, path: ['instances', i], ownFailover: asRecord(asRecord(raw)?.failover) });
        else {
          const lenient = lenientInstance(raw);
          if (lenient) entries.push({ instance: lenient, path: ['instances', i], partial: true });
        }
      });
    }
  } else {
    const parsed = runZod('experiment', instanceSchema, value, root, rep);
    if (parsed) entries.push({ instance: parsed, path: [], ownFailover: asRecord(value.failover) });
    else {
      const lenient = lenientInstance(value);
      if (lenient) entries.push({ instance: lenient, path: [], partial: true });
    }
  }
  checkInstancesLocal(entries, root, rep);
  result.entries = entries;
  result.complete = !hasErrors(rep.diagnostics);
  return result;
}

/** The well-formed fields of an instance that has errors (undefined without a usable instance_id). */
function lenientInstance(raw: unknown): InstanceConfig | undefined {
  const r = asRecord(raw);
  if (!r || typeof r.instance_id !== 'string' || r.instance_id === '') return undefined;
  const ids = (v: unknown): string[] => (Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '') ? (v as string[]) : []);
  return {
    instance_id: r.instance_id,
    ram_gb: numberField(r.ram_gb) ?? 0,
    gpu_required: r.gpu_required === true,
    gpu_preferred: r.gpu_preferred === true,
    affinity: ids(r.affinity),
    anti_affinity: ids(r.anti_affinity),
    env: {},
    ...(typeof r.preferred_node === 'string' && r.preferred_node !== '' ? { preferred_node: r.preferred_node } : {}),
  };
}

function checkInstancesLocal(entries: InstanceEntry[], root: YNode | null, rep: Reporter): void {
  for (const e of entries) {
    const i = e.instance;
    const anti = new Set(i.anti_affinity);
    i.affinity.forEach((id, k) => {
      if (anti.has(id)) {
        rep.error(
          'affinity-conflict',
          `instance ${i.instance_id} lists ${id} in both affinity and anti_affinity; keep it in only one of them`,
          valueOffsets(root, [...e.path, 'affinity', k]),
        );
      }
    });
    if (i.affinity.includes(i.instance_id)) rep.warning('self-affinity', `instance ${i.instance_id} lists itself in affinity; remove it`, valueOffsets(root, [...e.path, 'affinity', i.affinity.indexOf(i.instance_id)]));
    if (i.anti_affinity.includes(i.instance_id)) rep.error('self-anti-affinity', `instance ${i.instance_id} lists itself in anti_affinity, which can never be satisfied; remove it`, valueOffsets(root, [...e.path, 'anti_affinity', i.anti_affinity.indexOf(i.instance_id)]));
  }
}

function mergeFailover(...layers: (Record<string, unknown> | undefined)[]): FailoverPolicy {
  const merged: Record<string, unknown> = {};
  for (const l of layers) if (l) for (const [k, v] of Object.entries(l)) if (v !== undefined && v !== null && k in failoverSchema.shape) merged[k] = v;
  const r = failoverSchema.safeParse(merged);
  return r.success ? r.data : failoverSchema.parse({});
}

// ---------------------------------------------------------------------------------------------
// Public API

export function validateClusterText(src: SourceText): { config?: ClusterFile; diagnostics: Diagnostic[] } {
  const c = checkCluster(src);
  return c.config ? { config: c.config, diagnostics: c.diagnostics } : { diagnostics: c.diagnostics };
}

/** Checks one experiment file on its own (ids in affinity etc. are checked by validateWorkspace). */
export function validateExperimentText(src: SourceText): { instances?: InstanceConfig[]; diagnostics: Diagnostic[] } {
  const c = checkExperiment(src);
  if (!c.entries || !c.complete) return { diagnostics: c.diagnostics };
  return { instances: c.entries.map((e) => ({ ...e.instance, failover: mergeFailover(e.fileFailover, e.ownFailover) })), diagnostics: c.diagnostics };
}

/**
 * Validates a cluster file and experiment files together: each file on its own, then the
 * cross-file checks (unique instance ids, affinity / anti_affinity / preferred_node references,
 * instances no node can hold). `model` is present when there is no error (warnings allowed).
 */
export function validateWorkspace(cluster: SourceText, experiments: SourceText[]): { model?: WorkspaceModel; diagnostics: Diagnostic[] } {
  const c = checkCluster(cluster);
  const exps = experiments.map(checkExperiment);
  const diagnostics: Diagnostic[] = [...c.diagnostics];
  for (const e of exps) diagnostics.push(...e.diagnostics);

  // Cross-file checks on the instances that parsed.
  const byId = new Map<string, { exp: ExperimentCheck; entry: InstanceEntry }>();
  const all: { exp: ExperimentCheck; entry: InstanceEntry; rep: Reporter }[] = [];
  for (const exp of exps) {
    if (!exp.entries) continue;
    const rep = new Reporter(exp.file, exp.lines);
    for (const entry of exp.entries) {
      const id = entry.instance.instance_id;
      const prev = byId.get(id);
      if (prev) {
        const prevPos = prev.exp.lines.position(valueOffsets(prev.exp.root, [...prev.entry.path, 'instance_id'])[0]);
        rep.error(
          'duplicate-instance',
          `duplicate instance_id "${id}": already defined at ${prev.exp.file}:${prevPos.line + 1}:${prevPos.character + 1}; instance ids must be unique across all experiment files, rename one`,
          valueOffsets(exp.root, [...entry.path, 'instance_id']),
        );
      } else byId.set(id, { exp, entry });
      all.push({ exp, entry, rep });
    }
    diagnostics.push(...rep.diagnostics);
  }
  const reps = new Map<ExperimentCheck, Reporter>();
  for (const a of all) if (!reps.has(a.exp)) reps.set(a.exp, new Reporter(a.exp.file, a.exp.lines));
  const knownIds = new Set<string>(byId.keys());
  for (const exp of exps) for (const id of exp.knownIds ?? []) knownIds.add(id);
  const nodes = c.config?.nodes;
  const nodeNames = c.nodeNames ? new Set(c.nodeNames) : undefined;
  // The most free RAM on any node and on any GPU node: most instances fit and need no more.
  const capacity = nodes
    ? nodes.reduce((acc, n) => {
        const free = n.ram_gb - n.reserved_ram_gb;
        return { any: Math.max(acc.any, free), gpu: n.gpu ? Math.max(acc.gpu, free) : acc.gpu };
      }, { any: -Infinity, gpu: -Infinity })
    : undefined;
  for (const { exp, entry } of all) {
    const rep = reps.get(exp) as Reporter;
    const inst = entry.instance;
    for (const field of ['affinity', 'anti_affinity'] as const) {
      inst[field].forEach((id, k) => {
        if (!knownIds.has(id)) {
          const guess = suggest(id, [...knownIds]);
          rep.error(
            'unknown-instance',
            `${field} of instance ${inst.instance_id} names ${id}, which is not an instance in the loaded experiment files; ${guess ? `did you mean ${guess}?` : 'fix the id or load the file that defines it'}`,
            valueOffsets(exp.root, [...entry.path, field, k]),
          );
        }
      });
    }
    if (inst.preferred_node !== undefined && nodeNames && !nodeNames.has(inst.preferred_node)) {
      const guess = suggest(inst.preferred_node, [...nodeNames]);
      rep.error(
        'unknown-node',
        `preferred_node of instance ${inst.instance_id} names ${inst.preferred_node}, which is not a node in ${c.file}; ${guess ? `did you mean ${guess}?` : `use one of: ${[...nodeNames].join(', ') || '(no nodes defined)'}`}`,
        valueOffsets(exp.root, [...entry.path, 'preferred_node']),
      );
    }
    if (nodes && !entry.partial) {
      const why = capacity && inst.ram_gb <= (inst.gpu_required ? capacity.gpu : capacity.any) && inst.gpu_memory_gb === undefined && inst.cpu_cores === undefined ? undefined : whyUnplaceable(inst, nodes);
      if (why) rep.warning('unplaceable', `no node can hold ${inst.instance_id}: ${why.reason}`, valueOffsets(exp.root, [...entry.path, why.field]));
    }
  }
  for (const r of reps.values()) diagnostics.push(...r.diagnostics);

  sortDiagnostics(diagnostics);
  if (hasErrors(diagnostics) || !c.config) return { diagnostics };
  const instances: InstanceConfig[] = [];
  const instanceSource: Record<string, string> = {};
  const clusterFailover = c.rawFailover;
  // Instances without their own failover share their file's merged policy (computed once).
  const perFile = new Map<Record<string, unknown> | undefined, FailoverPolicy>();
  for (const { exp, entry } of all) {
    let failover: FailoverPolicy;
    if (entry.ownFailover === undefined) {
      let f = perFile.get(entry.fileFailover);
      if (!f) {
        f = mergeFailover(clusterFailover, entry.fileFailover);
        perFile.set(entry.fileFailover, f);
      }
      failover = { ...f };
    } else failover = mergeFailover(clusterFailover, entry.fileFailover, entry.ownFailover);
    instances.push({ ...entry.instance, failover });
    instanceSource[entry.instance.instance_id] = exp.file;
  }
  return { model: { cluster: c.config, clusterFile: cluster.file, instances, instanceSource }, diagnostics };
}

export interface Unplaceable {
  /** Why, and what to do. */
  reason: string;
  /** The instance field that causes it (where the warning goes). */
  field: 'instance_id' | 'ram_gb' | 'gpu_required' | 'gpu_memory_gb' | 'cpu_cores';
}

/** Why no node could ever hold an instance (ignoring what else is placed), or undefined. */
export function whyUnplaceable(inst: InstanceConfig, nodes: readonly NodeConfig[]): Unplaceable | undefined {
  if (nodes.length === 0) return { field: 'instance_id', reason: 'the cluster has no nodes; add nodes to the cluster file' };
  const gpuNodes = inst.gpu_required ? nodes.filter((n) => n.gpu) : nodes;
  if (gpuNodes.length === 0) return { field: 'gpu_required', reason: 'it needs a GPU (gpu_required: true) and no node has one; add a node with gpu: true or set gpu_required: false' };
  const free = (n: NodeConfig) => n.ram_gb - n.reserved_ram_gb;
  const largest = gpuNodes.reduce((a, b) => (free(b) > free(a) ? b : a));
  if (inst.ram_gb > free(largest)) {
    const reserve = largest.reserved_ram_gb > 0 ? ` after its ${fmtGb(largest.reserved_ram_gb)} reserve` : '';
    return {
      field: 'ram_gb',
      reason: `needs ${fmtGb(inst.ram_gb)}${inst.gpu_required ? ' on a GPU node' : ''}; the largest${inst.gpu_required ? ' GPU' : ''} node, ${largest.name}, has ${fmtGb(free(largest))}${reserve}. Lower ram_gb or add a bigger node`,
    };
  }
  const fits = gpuNodes.filter((n) => free(n) >= inst.ram_gb);
  if (inst.gpu_memory_gb !== undefined) {
    const g = fits.filter((n) => n.gpu && (n.gpu_memory_gb === undefined || n.gpu_memory_gb >= (inst.gpu_memory_gb as number)));
    if (g.length === 0) return { field: 'gpu_memory_gb', reason: `needs ${fmtGb(inst.gpu_memory_gb)} of GPU memory and ${fmtGb(inst.ram_gb)} of RAM, and no GPU node has both; lower gpu_memory_gb or add a GPU node` };
  }
  if (inst.cpu_cores !== undefined) {
    const cpu = fits.filter((n) => n.cpu_cores === undefined || n.cpu_cores >= (inst.cpu_cores as number));
    if (cpu.length === 0) return { field: 'cpu_cores', reason: `needs ${inst.cpu_cores} CPU cores and ${fmtGb(inst.ram_gb)} of RAM, and no node has both; lower cpu_cores or add a bigger node` };
  }
  return undefined;
}
