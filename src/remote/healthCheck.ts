// Parallel health checks: every node at once (bounded concurrency), one timeout per node, results
// streamed as they arrive. A slow or dead node only ever costs its own timeout.
//
//   const results = await checkAll(nodes, pool, { concurrency: 16, timeoutMs: 5000, onResult: show });
//   for await (const h of streamHealth(nodes, pool, opts)) show(h);
//
// Mapping:
//   - connect/auth/host-key failures and the per-node timeout -> unavailable, `reason` from the
//     ConnectionError ("connection refused by 10.0.0.5:22", "host key changed (known_hosts line 3: …)",
//     "timed out after 5 s"), `hint` says what to do;
//   - the node answered but the probe script failed -> degraded "probe failed: …" (assess.ts);
//   - a pooled connection found dead when used -> one retry on a fresh connection, time permitting.
import type { NodeConfig } from '../core/config/schema';
import { assessHealth, displayHost, unavailableHealth, type AssessOptions } from '../core/health/assess';
import type { NodeHealth } from '../core/health/types';
import { describeError } from '../core/errors';
import { ConnectionError, type NodeConnection } from './connection';
import { runProbe } from './probe';

/** What checkAll needs from a pool (ConnectionPool fits). */
export interface ConnectionSource {
  get(node: NodeConfig): Promise<NodeConnection>;
  drop(name: string): Promise<void> | void;
}

export interface CheckOptions {
  /** Nodes probed at once (default 16). */
  concurrency?: number;
  /** Per node, connect + probe (default 5000 ms). */
  timeoutMs?: number;
  /** Called with each result as soon as it is known. */
  onResult?: (h: NodeHealth) => void;
  signal?: AbortSignal;
  /** Maintenance set by a command: node name -> reason. */
  overrides?: AssessOptions['overrides'];
  /** The node's work dir for df and runs (default: remote_work_dir, else the home directory). */
  workDir?: (node: NodeConfig) => string;
  /** Thresholds passed to assessHealth. */
  assess?: Pick<AssessOptions, 'ramDegradedPercent' | 'diskMinFreePercent' | 'diskMinFreeGb' | 'ramSlack'>;
}

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_CONCURRENCY = 16;

// Connections this module has seen: a connection not seen before was opened for this check.
const seen = new WeakSet<NodeConnection>();

/** "node x: what. hint" -> { reason: "what", hint }. */
export function reasonFromError(e: unknown): { reason: string; hint?: string } {
  if (e instanceof ConnectionError) {
    let msg = e.message;
    const prefix = `node ${e.node}: `;
    if (msg.startsWith(prefix)) msg = msg.slice(prefix.length);
    if (e.hint && msg.endsWith(`. ${e.hint}`)) msg = msg.slice(0, -(e.hint.length + 2));
    return e.hint ? { reason: msg, hint: e.hint } : { reason: msg };
  }
  return { reason: describeError(e) };
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

class CheckTimeout extends Error {}

/** Check one node: connect (or reuse), probe, judge. Never throws. */
export async function checkNode(node: NodeConfig, pool: ConnectionSource, opts: CheckOptions = {}): Promise<NodeHealth> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = performance.now();
  const deadline = started + timeoutMs;
  const host = displayHost(node);
  const workDir = opts.workDir ? opts.workDir(node) : (node.remote_work_dir ?? '~');
  const local = new AbortController();
  const onOuterAbort = () => local.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      local.abort();
      reject(new CheckTimeout());
    }, timeoutMs);
  });
  timedOut.catch(() => undefined);

  const attempt = async (): Promise<NodeHealth> => {
    for (let tries = 0; ; tries++) {
      const t0 = performance.now();
      const conn = await pool.get(node);
      const fresh = !seen.has(conn);
      seen.add(conn);
      const connectMs = fresh && conn.kind === 'ssh' ? performance.now() - t0 : undefined;
      try {
        const left = Math.max(1, deadline - performance.now());
        const r = await runProbe(conn, workDir, { timeoutMs: left, signal: local.signal });
        return assessHealth(node, r.measurements, {
          ...opts.assess,
          host,
          overrides: opts.overrides,
          latencyMs: r.latencyMs,
          ...(connectMs !== undefined ? { connectMs } : {}),
          exitCode: r.exitCode,
          stderr: r.stderr,
        });
      } catch (e) {
        // A pooled connection that died since its last use: retry once on a fresh one.
        if (e instanceof ConnectionError && e.kind === 'disconnected' && !fresh && tries === 0 && !local.signal.aborted) {
          await pool.drop(node.name);
          continue;
        }
        if (e instanceof ConnectionError && e.kind === 'command_failed') {
          return assessHealth(node, { complete: false, gpus: [], runs: [], warnings: [] }, { ...opts.assess, host, overrides: opts.overrides, exitCode: null, stderr: reasonFromError(e).reason });
        }
        throw e;
      }
    }
  };

  const attempted = attempt();
  attempted.catch(() => undefined); // it may settle after the timeout won the race
  try {
    return await Promise.race([attempted, timedOut]);
  } catch (e) {
    if (opts.signal?.aborted) return unavailableHealth(node, 'check cancelled', { host, overrides: opts.overrides });
    if (e instanceof CheckTimeout || (e instanceof ConnectionError && e.kind === 'timeout' && performance.now() >= deadline - 50)) {
      // Whatever is stuck (a connect, a hung sshd) is closed; the next check starts afresh.
      void Promise.resolve(pool.drop(node.name)).catch(() => undefined);
      return unavailableHealth(node, `timed out after ${seconds(timeoutMs)}`, {
        host,
        overrides: opts.overrides,
        hint: 'The node did not answer in time: check that it is powered on, reachable and not overloaded, or raise --timeout',
      });
    }
    const { reason, hint } = reasonFromError(e);
    return unavailableHealth(node, reason, { host, overrides: opts.overrides, ...(hint ? { hint } : {}) });
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** Results as they arrive (fastest first). */
export async function* streamHealth(nodes: NodeConfig[], pool: ConnectionSource, opts: CheckOptions = {}): AsyncGenerator<NodeHealth> {
  const queue: NodeHealth[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const all = checkAll(nodes, pool, {
    ...opts,
    onResult: (h) => {
      opts.onResult?.(h);
      queue.push(h);
      wake?.();
    },
  }).finally(() => {
    done = true;
    wake?.();
  });
  all.catch(() => undefined);
  while (true) {
    const next = queue.shift();
    if (next) {
      yield next;
      continue;
    }
    if (done) break;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
  await all;
}

/** Check every node; `onResult` sees each as it arrives; the result array is in config order. */
export async function checkAll(nodes: NodeConfig[], pool: ConnectionSource, opts: CheckOptions = {}): Promise<NodeHealth[]> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY));
  const results: NodeHealth[] = new Array<NodeHealth>(nodes.length);
  let next = 0;
  const worker = async () => {
    while (next < nodes.length) {
      const i = next++;
      const node = nodes[i]!;
      const h = await checkNode(node, pool, opts);
      results[i] = h;
      try {
        opts.onResult?.(h);
      } catch {
        /* a failing listener never stops the checks */
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, nodes.length) }, () => worker()));
  return results;
}
