// The dashboard's message contract, shared by the extension host (src/vscode/dashboard) and the
// webview bundle (webview/dashboard). Both sides validate every message they receive with these
// schemas and drop anything invalid with a clear reason; nothing here throws.
//
// Written with `zod/mini` (same zod 4, tree-shakable): the full `zod` build would add ~450 KB to
// the webview bundle, zod/mini adds ~13 KB.
//
// Host -> webview
//   snapshot  everything the page needs (on 'ready', and when the set of nodes changes)
//   sample    current node values at `at`, appended to the history; `instances` only if changed
//   update    current node values between samples (health probe finished, run changed); not
//             appended to the history; `instances` only if changed
//   config    the sampling interval changed
//   theme     the colour theme changed: re-read the --vscode-* colours
// Webview -> host
//   ready       the page has loaded and wants a snapshot
//   command     run a ClusterLab command, optionally for one node or one run
//   setInterval change the sampling interval setting (seconds)
//   invalid     the page dropped a host message; `reason` says why (the host logs it)
import * as z from 'zod/mini';
import type { NodeType } from '../config/schema';
import { NODE_STATUSES } from '../health/types';
import { RUN_STATUSES } from '../runs/types';

export const MAX_NODES = 256;
export const MAX_INSTANCES = 10_000;
export const MAX_HISTORY = 10_000;
export const MIN_SAMPLING_SECONDS = 1;
export const MAX_SAMPLING_SECONDS = 3600;

const text = (max: number) => z.string().check(z.maxLength(max));
const name = z.string().check(z.minLength(1), z.maxLength(200));
/** A finite number (zod 4 rejects NaN and ±Infinity) in a sane range. */
const num = z.number().check(z.gte(-1e12), z.lte(1e12));
const gb = z.number().check(z.gte(0), z.lte(1e9));
const count = z.int().check(z.gte(0), z.lte(1e9));
const epochMs = z.number().check(z.gte(0), z.lte(8.64e15));

// The node types, repeated here (checked against config/schema's NodeType both ways at compile
// time) because importing a value from config/schema would pull full zod into the webview bundle.
const NODE_TYPES = ['jetson_orin', 'raspberry_pi', 'host', 'generic'] as const satisfies readonly NodeType[];
type Exhaustive<T extends true> = T;
export type _NodeTypesComplete = Exhaustive<NodeType extends (typeof NODE_TYPES)[number] ? true : false>;

export const DASHBOARD_NODE_STATUSES = [...NODE_STATUSES, 'unknown'] as const;
export type DashboardNodeStatus = (typeof DASHBOARD_NODE_STATUSES)[number];

export const nodeViewSchema = z.strictObject({
  name,
  type: z.enum(NODE_TYPES),
  host: z.optional(text(500)),
  status: z.enum(DASHBOARD_NODE_STATUSES),
  reason: z.optional(text(2000)),
  gpu_capable: z.boolean(),
  instances: count,
  max_instances: count,
  ram: z.strictObject({
    /** Configured total (the resource report's ram_total_gb). */
    total_gb: gb,
    /** Allocated by placement (the resource report's ram_allocated_gb). */
    allocated_gb: gb,
    /** The resource report's ram_utilization_percent. */
    utilization_percent: z.number().check(z.gte(0), z.lte(1e6)),
    /** Used, as measured by the last probe. */
    used_gb: z.optional(gb),
    /** Total as measured by the last probe. */
    measured_total_gb: z.optional(gb),
  }),
  cpu: z.strictObject({
    cores: z.optional(count),
    load_1m: z.optional(gb),
    load_per_core: z.optional(gb),
  }),
  gpu: z.optional(
    z.strictObject({
      name: z.optional(text(200)),
      memory_used_gb: z.optional(gb),
      memory_total_gb: z.optional(gb),
      utilization_percent: z.optional(z.number().check(z.gte(0), z.lte(100))),
      temperature_c: z.optional(num),
    }),
  ),
  disk: z.strictObject({ free_gb: z.optional(gb), total_gb: z.optional(gb) }),
  temperature_c: z.optional(num),
  probed_at: z.optional(text(64)),
  warnings: z.array(text(2000)).check(z.maxLength(50)),
});
export type NodeView = z.infer<typeof nodeViewSchema>;

export const instanceRowSchema = z.strictObject({
  run_id: name,
  instance_id: name,
  node: name,
  status: z.enum(RUN_STATUSES),
  started_at: z.optional(epochMs),
  ended_at: z.optional(epochMs),
  exit_code: z.optional(z.int().check(z.gte(-1e6), z.lte(1e6))),
  restarts: count,
});
export type InstanceRow = z.infer<typeof instanceRowSchema>;

const seriesValues = z.array(z.nullable(num)).check(z.maxLength(MAX_HISTORY));
export const nodeSeriesSchema = z.strictObject({
  node: name,
  ram_used_percent: seriesValues,
  ram_allocated_percent: seriesValues,
  load_percent: seriesValues,
  gpu_util_percent: seriesValues,
});
export type NodeSeries = z.infer<typeof nodeSeriesSchema>;

export const historySchema = z.strictObject({
  capacity: z.int().check(z.gte(1), z.lte(MAX_HISTORY)),
  /** Sample times, epoch milliseconds, oldest first. */
  t: z.array(epochMs).check(z.maxLength(MAX_HISTORY)),
  series: z.array(nodeSeriesSchema).check(z.maxLength(MAX_NODES)),
});
export type History = z.infer<typeof historySchema>;

const samplingSeconds = z.int().check(z.gte(MIN_SAMPLING_SECONDS), z.lte(MAX_SAMPLING_SECONDS));
const nodes = z.array(nodeViewSchema).check(z.maxLength(MAX_NODES));
const instances = z.array(instanceRowSchema).check(z.maxLength(MAX_INSTANCES));

export const snapshotDataSchema = z.strictObject({
  cluster: text(200),
  at: epochMs,
  sampling_seconds: samplingSeconds,
  nodes,
  instances,
  history: historySchema,
});
export type SnapshotData = z.infer<typeof snapshotDataSchema>;

export const THEME_KINDS = ['light', 'dark', 'high-contrast', 'high-contrast-light'] as const;

const hostSchemas = {
  snapshot: z.strictObject({ type: z.literal('snapshot'), data: snapshotDataSchema }),
  sample: z.strictObject({ type: z.literal('sample'), at: epochMs, nodes, instances: z.optional(instances) }),
  update: z.strictObject({ type: z.literal('update'), at: epochMs, nodes, instances: z.optional(instances) }),
  config: z.strictObject({ type: z.literal('config'), sampling_seconds: samplingSeconds }),
  theme: z.strictObject({ type: z.literal('theme'), kind: z.optional(z.enum(THEME_KINDS)) }),
};

export const DASHBOARD_COMMANDS = ['checkHealth', 'showLogs', 'openTerminal', 'openConfig', 'stopInstance'] as const;
export type DashboardCommand = (typeof DASHBOARD_COMMANDS)[number];

const webviewSchemas = {
  ready: z.strictObject({ type: z.literal('ready') }),
  command: z.strictObject({
    type: z.literal('command'),
    command: z.enum(DASHBOARD_COMMANDS),
    node: z.optional(name),
    run_id: z.optional(name),
  }),
  setInterval: z.strictObject({ type: z.literal('setInterval'), seconds: samplingSeconds }),
  invalid: z.strictObject({ type: z.literal('invalid'), reason: text(2000) }),
};

type Out<T extends Record<string, z.ZodMiniType>> = { [K in keyof T]: z.infer<T[K]> }[keyof T];
export type HostMessage = Out<typeof hostSchemas>;
export type WebviewMessage = Out<typeof webviewSchemas>;
export type SnapshotMessage = z.infer<typeof hostSchemas.snapshot>;
export type SampleMessage = z.infer<typeof hostSchemas.sample>;
export type UpdateMessage = z.infer<typeof hostSchemas.update>;

export type ParseResult<T> = { ok: true; message: T } | { ok: false; reason: string };

export function parseHostMessage(raw: unknown): ParseResult<HostMessage> {
  return parseWith(hostSchemas, raw, 'from the extension host') as ParseResult<HostMessage>;
}

export function parseWebviewMessage(raw: unknown): ParseResult<WebviewMessage> {
  return parseWith(webviewSchemas, raw, 'from the dashboard webview') as ParseResult<WebviewMessage>;
}

/** For producers: true when `msg` would pass the receiver's validation (used by tests and asserts). */
export function isValidHostMessage(msg: unknown): boolean {
  return parseHostMessage(msg).ok;
}

function parseWith(schemas: Record<string, z.ZodMiniType>, raw: unknown, from: string): ParseResult<unknown> {
  const prefix = `dropped a message ${from}`;
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return { ok: false, reason: `${prefix}: expected an object with a "type", got ${describe(raw)}` };
    }
    const type: unknown = (raw as { type?: unknown }).type;
    const known = Object.keys(schemas);
    if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(schemas, type)) {
      return { ok: false, reason: `${prefix}: "type" is ${describe(type)}, expected one of ${known.join(', ')}` };
    }
    const schema = schemas[type] as z.ZodMiniType;
    const r = schema.safeParse(raw, { reportInput: true });
    if (r.success) return { ok: true, message: r.data };
    return { ok: false, reason: `${prefix} of type "${type}": ${formatIssues(r.error.issues)}` };
  } catch (e) {
    // A hostile object (throwing getters, proxies) must never crash the receiver.
    return { ok: false, reason: `${prefix}: it could not be read (${e instanceof Error ? e.message : String(e)})` };
  }
}

interface IssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: unknown;
  values?: unknown[];
  keys?: string[];
  maximum?: unknown;
  minimum?: unknown;
  origin?: unknown;
  input?: unknown;
}

/** Human-readable issues: `nodes.0.ram.total_gb: expected number, got string`. At most 3. */
export function formatIssues(issues: readonly IssueLike[]): string {
  const parts = issues.slice(0, 3).map((i) => {
    const where = i.path.length ? i.path.map(String).join('.') : '(message)';
    return `${where}: ${describeIssue(i)}`;
  });
  if (issues.length > 3) parts.push(`and ${issues.length - 3} more`);
  return parts.join('; ');
}

function describeIssue(i: IssueLike): string {
  switch (i.code) {
    case 'invalid_type':
      if (i.input === undefined) return `missing (expected ${expectedName(i.expected)})`;
      return `expected ${expectedName(i.expected)}, got ${describe(i.input)}`;
    case 'invalid_value':
      return `expected one of ${(i.values ?? []).map((v) => JSON.stringify(v)).join(', ')}, got ${describe(i.input)}`;
    case 'unrecognized_keys':
      return `unexpected key${(i.keys ?? []).length > 1 ? 's' : ''} ${(i.keys ?? []).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`;
    case 'too_big':
      return `too big (${i.origin === 'array' || i.origin === 'string' ? 'length ' : ''}at most ${String(i.maximum)})`;
    case 'too_small':
      return `too small (${i.origin === 'array' || i.origin === 'string' ? 'length ' : ''}at least ${String(i.minimum)})`;
    case 'invalid_format':
      return 'wrong format';
    default:
      return i.message && i.message !== 'Invalid input' ? i.message : i.code.replace(/_/g, ' ');
  }
}

function expectedName(e: unknown): string {
  return e === 'int' ? 'a whole number' : String(e);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
    case 'number':
      return String(v);
    case 'undefined':
      return 'nothing';
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}
