// Node statuses for planning, from `--health FILE`: either the JSON of `clusterlab health --json`
// ({"nodes":[{"name","status",...}]}) or a simple {"<node>":"healthy|degraded|unavailable|maintenance"}.
import { NODE_STATUSES, type NodeStatus } from '../health/types';

export interface HealthInput {
  status: Record<string, NodeStatus>;
  /** Load per core (load_1m / cpu_count) where the report has both. */
  load: Record<string, number>;
  /** Nodes in the file that the cluster does not have (ignored). */
  warnings: string[];
}

export type HealthInputResult = { ok: true; value: HealthInput } | { ok: false; error: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `${line}:${col}`;
}

const STATUS_LIST = NODE_STATUSES.join(', ');

/** Parses the text of a health file. `file` is only used in messages. */
export function parseHealthInput(text: string, file: string, knownNodes: string[]): HealthInputResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(msg);
    const where = m ? `${file}:${lineCol(text, Number(m[1]))}` : file;
    return { ok: false, error: `${where}: not valid JSON (${msg}). Pass the output of "clusterlab health --json" or a map like {"rpi1":"unavailable"}.` };
  }
  if (!isRecord(data)) return { ok: false, error: `${file}: expected a JSON object, {"nodes":[...]} or {"<node>":"<status>"}` };
  const status: Record<string, NodeStatus> = {};
  const load: Record<string, number> = {};
  const known = new Set(knownNodes);
  const warnings: string[] = [];
  const setStatus = (name: string, value: unknown, where: string): string | undefined => {
    if (typeof value !== 'string' || !(NODE_STATUSES as readonly string[]).includes(value.toLowerCase())) {
      return `${file}: ${where}: status ${JSON.stringify(value)} is not one of ${STATUS_LIST}`;
    }
    if (!known.has(name)) warnings.push(`${file}: node "${name}" is not in the cluster file; ignored`);
    status[name] = value.toLowerCase() as NodeStatus;
    return undefined;
  };
  if ('nodes' in data) {
    if (!Array.isArray(data.nodes)) return { ok: false, error: `${file}: "nodes" must be an array of {"name","status"} objects` };
    for (const [k, entry] of data.nodes.entries()) {
      if (!isRecord(entry) || typeof entry.name !== 'string') return { ok: false, error: `${file}: nodes[${k}] needs a "name" string` };
      const err = setStatus(entry.name, entry.status, `nodes[${k}] (${entry.name})`);
      if (err) return { ok: false, error: err };
      const l = entry.load_1m;
      const c = entry.cpu_count;
      if (typeof l === 'number' && typeof c === 'number' && c > 0 && Number.isFinite(l)) load[entry.name] = l / c;
    }
  } else {
    for (const [name, value] of Object.entries(data)) {
      const err = setStatus(name, value, `node "${name}"`);
      if (err) return { ok: false, error: err };
    }
  }
  return { ok: true, value: { status, load, warnings } };
}
