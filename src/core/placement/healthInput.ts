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

/**
 * Offset of the first JSON syntax error in `text` (V8's messages name it only for some errors),
 * or undefined when the scanner finds none. Iterative: deep nesting cannot overflow the stack.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && ' \t\r\n'.includes(text[i] as string)) i++;
  };
  const value = (): boolean => {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < n && text[i] !== '"') {
        const ch = text.charCodeAt(i);
        if (ch < 0x20) return false;
        if (text[i] === '\\') {
          i++;
          if (i < n && text[i] === 'u') {
            if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) return false;
            i += 4;
          } else if (i >= n || !'"\\/bfnrt'.includes(text[i] as string)) return false;
        }
        i++;
      }
      if (i >= n) return false;
      i++;
      return true;
    }
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  // Stack of open containers: '{' or '['.
  const stack: string[] = [];
  ws();
  for (;;) {
    if (i >= n) return n;
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      ws();
      if (text[i] === (c === '{' ? '}' : ']')) {
        stack.pop();
        i++;
      } else if (c === '{') {
        if (text[i] !== '"' || !value()) return i >= n ? n : i;
        ws();
        if (text[i] !== ':') return i;
        i++;
        ws();
        continue;
      } else continue;
    } else if (!value()) return Math.min(i, n);
    // After a value: a comma, a closing bracket, or the end.
    for (;;) {
      ws();
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? i : undefined;
      if (i >= n) return n;
      if (text[i] === ',') {
        i++;
        ws();
        if (top === '{') {
          if (text[i] !== '"' || !value()) return Math.min(i, n);
          ws();
          if (text[i] !== ':') return Math.min(i, n);
          i++;
          ws();
        }
        break;
      }
      if (text[i] === (top === '{' ? '}' : ']')) {
        stack.pop();
        i++;
        continue;
      }
      return i;
    }
  }
}

const STATUS_LIST = NODE_STATUSES.join(', ');

/** Parses the text of a health file. `file` is only used in messages. */
export function parseHealthInput(text: string, file: string, knownNodes: string[]): HealthInputResult {
  let data: unknown;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    data = JSON.parse(text);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 200);
    const m = /position (\d+)/.exec(msg);
    const pos = m ? Number(m[1]) : jsonErrorOffset(text);
    const where = pos !== undefined ? `${file}:${lineCol(text, pos)}` : file;
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
