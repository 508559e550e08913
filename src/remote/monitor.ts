// HealthMonitor: probes every node periodically and decides, with hysteresis, when a node is
// lost and when it is back. The same object serves the CLI (`clusterlab monitor`,
// `clusterlab run --follow`) and the VS Code extension.
//
//   const m = new HealthMonitor({ nodes: cluster.nodes, pool, health: cluster.health });
//   m.on('node-down', (e) => …);     // { at, node, reason, failures, since }
//   m.on('node-up', (e) => …);       // { at, node, reason }
//   m.on('status-changed', (e) => …);// healthy ⇄ degraded ⇄ unavailable (raw probe status)
//   m.on('probe', (p) => …);         // every probe: { node, ok, health, liveness, startedAt, endedAt }
//   m.start();  …  await m.stop();
//
// Each node has its own loop, so a slow or dead node never delays the others. The next probe of
// a node starts at max(previous start + interval, previous end). The decision (K consecutive
// failures spanning at least T, M successes to come back) is `observeProbe` in
// src/core/monitor/liveness.ts; this file only measures and reports.
import { EventEmitter } from 'node:events';
import type { HealthConfig, NodeConfig } from '../core/config/schema';
import { DEFAULT_HEALTH } from '../core/config/schema';
import type { NodeHealth, NodeStatus } from '../core/health/types';
import { INITIAL_LIVENESS, isDown, observeProbe, type LivenessPolicy, type LivenessState } from '../core/monitor/liveness';
import { nextProbeAt } from '../core/monitor/schedule';
import { checkNode, type ConnectionSource } from './healthCheck';

export interface NodeEvent {
  /** ISO time of the probe that decided it. */
  at: string;
  node: string;
  reason: string;
  /** Raw status of that probe. */
  status: NodeStatus;
  /** Consecutive failed probes (node-down). */
  failures?: number;
  /** ISO time of the first failure of the run that took the node down (node-down). */
  since?: string;
  /** Previous raw status (status-changed). */
  previous?: NodeStatus;
}

export interface ProbeEvent {
  node: string;
  ok: boolean;
  health: NodeHealth;
  liveness: LivenessState;
  startedAt: number;
  endedAt: number;
}

export interface MonitorEvents {
  'node-down': [NodeEvent];
  'node-up': [NodeEvent];
  'status-changed': [NodeEvent];
  probe: [ProbeEvent];
}

export interface MonitorOptions {
  nodes: readonly NodeConfig[];
  pool: ConnectionSource;
  /** The cluster's `health:` block (interval, timeout, K, T, M). */
  health?: Partial<HealthConfig>;
  /** Override the probe interval (ms), e.g. from a VS Code setting. */
  intervalMs?: number;
  /** The node's work dir for df and the run list. */
  workDir?: (node: NodeConfig) => string;
  now?: () => number;
}

export function livenessPolicy(h: Partial<HealthConfig> = {}): LivenessPolicy {
  return {
    failuresBeforeUnavailable: h.failures_before_unavailable ?? DEFAULT_HEALTH.failures_before_unavailable,
    minFailureMs: (h.min_failure_seconds ?? DEFAULT_HEALTH.min_failure_seconds) * 1000,
    successesBeforeHealthy: h.successes_before_healthy ?? DEFAULT_HEALTH.successes_before_healthy,
  };
}

/** A probe counts as a success when the node answered (healthy, degraded, or in maintenance but reachable). */
export function probeOk(h: NodeHealth): boolean {
  if (h.status === 'healthy' || h.status === 'degraded') return true;
  return h.status === 'maintenance' && h.latency_ms !== undefined;
}

export class HealthMonitor extends EventEmitter<MonitorEvents> {
  private readonly states = new Map<string, LivenessState>();
  private readonly last = new Map<string, NodeHealth>();
  private readonly lastOk = new Map<string, boolean>();
  private readonly rounds = new Map<string, number>();
  private readonly wakers = new Map<string, () => void>();
  private abort = new AbortController();
  private loops: Promise<void>[] = [];
  private running = false;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly policy: LivenessPolicy;
  private readonly now: () => number;

  constructor(private readonly opts: MonitorOptions) {
    super();
    this.intervalMs = opts.intervalMs ?? (opts.health?.interval_seconds ?? DEFAULT_HEALTH.interval_seconds) * 1000;
    this.timeoutMs = (opts.health?.timeout_seconds ?? DEFAULT_HEALTH.timeout_seconds) * 1000;
    this.policy = livenessPolicy(opts.health);
    this.now = opts.now ?? Date.now;
    for (const n of opts.nodes) this.states.set(n.name, INITIAL_LIVENESS);
  }

  get nodes(): readonly NodeConfig[] {
    return this.opts.nodes;
  }

  /** Liveness of every node (what failover reads). */
  liveness(): Record<string, LivenessState> {
    return Object.fromEntries(this.states);
  }

  /** Whether the node is marked unavailable (down, or not yet back). */
  isDown(node: string): boolean {
    const s = this.states.get(node);
    return s !== undefined && isDown(s);
  }

  /** Whether the latest probe of the node succeeded. */
  answered(node: string): boolean {
    return this.lastOk.get(node) === true;
  }

  /** The latest health of each probed node. */
  health(): Record<string, NodeHealth> {
    return Object.fromEntries(this.last);
  }

  /** Raw statuses for placement: unavailable while marked down, else the latest probe's status. */
  statuses(): Record<string, NodeStatus> {
    const out: Record<string, NodeStatus> = {};
    for (const n of this.opts.nodes) {
      const h = this.last.get(n.name);
      if (this.isDown(n.name)) out[n.name] = 'unavailable';
      else if (h && h.status !== 'unavailable') out[n.name] = h.status;
    }
    return out;
  }

  /** Load per core of each node, from the latest probes. */
  load(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, h] of this.last) if (h.load_1m !== undefined && h.cpu_count) out[name] = h.load_1m / h.cpu_count;
    return out;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loops = this.opts.nodes.map((n) => this.loop(n));
  }

  /** Resolves once every node has been probed at least `rounds` times since now (or the monitor stopped). */
  async settled(rounds = 1): Promise<void> {
    const target = new Map(this.opts.nodes.map((n) => [n.name, (this.rounds.get(n.name) ?? 0) + rounds]));
    await new Promise<void>((resolve) => {
      const check = () => {
        if (!this.running || this.opts.nodes.every((n) => (this.rounds.get(n.name) ?? 0) >= (target.get(n.name) ?? 0))) {
          this.off('probe', check);
          resolve();
        }
      };
      this.on('probe', check);
      check();
    });
  }

  /** Probe a node now instead of waiting for its next turn. */
  poke(node?: string): void {
    for (const [name, wake] of this.wakers) if (node === undefined || node === name) wake();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    for (const w of this.wakers.values()) w();
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async loop(node: NodeConfig): Promise<void> {
    const signal = this.abort.signal;
    while (this.running && !signal.aborted) {
      const startedAt = this.now();
      let health: NodeHealth;
      try {
        health = await checkNode(node, this.opts.pool, { timeoutMs: this.timeoutMs, signal, ...(this.opts.workDir ? { workDir: this.opts.workDir } : {}) });
      } catch (e) {
        health = { name: node.name, host: node.host ?? '', status: 'unavailable', reason: e instanceof Error ? e.message : String(e), warnings: [], probed_at: new Date().toISOString() };
      }
      if (!this.running || signal.aborted) break;
      const endedAt = this.now();
      this.record(node.name, health, startedAt, endedAt);
      const wait = nextProbeAt(startedAt, endedAt, this.intervalMs) - this.now();
      if (wait > 0) await this.sleep(node.name, wait);
    }
  }

  private record(name: string, health: NodeHealth, startedAt: number, endedAt: number): void {
    const ok = probeOk(health);
    const prevHealth = this.last.get(name);
    const prev = this.states.get(name) ?? INITIAL_LIVENESS;
    const change = observeProbe(prev, ok, endedAt, this.policy, ok ? undefined : health.reason, startedAt);
    this.states.set(name, change.state);
    this.last.set(name, health);
    this.lastOk.set(name, ok);
    this.rounds.set(name, (this.rounds.get(name) ?? 0) + 1);
    const at = new Date(endedAt).toISOString();
    if (prevHealth && prevHealth.status !== health.status) {
      this.emit('status-changed', { at, node: name, status: health.status, previous: prevHealth.status, reason: health.reason ?? health.status });
    }
    if (change.transition === 'went_down') {
      this.emit('node-down', {
        at,
        node: name,
        status: health.status,
        reason: health.reason ?? 'probe failed',
        failures: change.state.consecutiveFailures,
        ...(change.state.firstFailureAt !== undefined ? { since: new Date(change.state.firstFailureAt).toISOString() } : {}),
      });
    } else if (change.transition === 'came_back') {
      this.emit('node-up', { at, node: name, status: health.status, reason: `answered ${change.state.consecutiveSuccesses} probes in a row` });
    }
    this.emit('probe', { node: name, ok, health, liveness: change.state, startedAt, endedAt });
  }

  private sleep(name: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakers.set(name, () => {
        this.wakers.delete(name);
        done();
      });
    });
  }
}
