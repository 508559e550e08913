// FailoverController: the monitor + failover loop. Reattaches to the runs that exist, watches
// the HealthMonitor, reconciles runs on nodes that answer, asks the pure decision code
// (src/core/failover/decide.ts) what to do, and applies it through the ClusterSession: mark
// lost, restart (same node, resume_command), replace (another node), stop stale copies, give up.
// Every change lands in the run records (transitions with time and reason, restart_count) and
// comes out as one FailoverEvent.
//
//   const monitor = new HealthMonitor({ nodes, pool, health: cluster.health });
//   const fo = new FailoverController({ session, monitor });
//   fo.on('event', (e) => console.log(JSON.stringify(e)));   // {"at","event","node",…}
//   const { reattached } = await fo.start();                 // starts the monitor too
//   …  await fo.stop();                                      // runs keep going
//
// Several coordinators may watch one workspace (clusterlab monitor in a terminal, run --follow,
// VS Code). Only the holder of the coordinator lease (src/remote/lease.ts,
// .clusterlab/coordinator.lock) acts: restarts, replaces, stops stale copies, gives up. The
// others reconcile, mark lost runs and report, say once who acts (event lease_watching), and take
// over (lease_acquired) when the holder stops or dies.
import { EventEmitter } from 'node:events';
import { DEFAULT_WEIGHTS, type InstanceConfig } from '../core/config/schema';
import { describeError } from '../core/errors';
import { byInstance, decideFailover, policyOf, type FailoverAction } from '../core/failover/decide';
import { isActive } from '../core/runs/stateMachine';
import type { RunChange, RunRecord } from '../core/runs/types';
import { watchOnlyMessage, describeHolder, type LeaseInfo } from '../core/failover/lease';
import { CoordinatorLease, type LeaseState } from './lease';
import type { HealthMonitor, NodeEvent } from './monitor';
import type { ClusterSession } from './session';

export const FAILOVER_EVENTS = [
  'node_down',
  'node_up',
  'node_status',
  'run_reattached',
  'run_running',
  'run_lost',
  'run_crashed',
  'run_failed',
  'run_exited',
  'run_stopped',
  'run_restarted',
  'run_replaced',
  'run_stopped_stale',
  'run_gave_up',
  'run_unplaceable',
  'action_failed',
  'lease_acquired',
  'lease_watching',
] as const;
export type FailoverEventName = (typeof FAILOVER_EVENTS)[number];

/** One line of `clusterlab monitor --json`. */
export interface FailoverEvent {
  at: string;
  event: FailoverEventName;
  node: string;
  instance_id?: string;
  run_id?: string;
  /** The new run (run_restarted, run_replaced). */
  new_run_id?: string;
  /** Where a replaced run went. */
  to_node?: string;
  restart_count?: number;
  reason: string;
  /** Who holds the coordinator lease (lease_acquired, lease_watching). */
  holder?: Pick<LeaseInfo, 'pid' | 'hostname' | 'owner' | 'started_at'>;
}

export interface FailoverOptions {
  session: ClusterSession;
  monitor: HealthMonitor;
  /** Current instance configs (policies); default: the config saved in each run record. */
  instances?: readonly InstanceConfig[];
  /** How often the loop looks at the runs (ms, default 1000); node events wake it at once. */
  tickMs?: number;
  /** Failures older than this (ms before start) are history and never restarted (default 10 min). */
  lookbackMs?: number;
  now?: () => number;
  /**
   * The coordinator lease: only its holder acts. Default: a CoordinatorLease on the session's
   * workspace with owner `owner`. `false`: act without a lease (tests of the loop alone).
   */
  lease?: CoordinatorLease | false;
  /** Who this coordinator is, for the lease ("clusterlab monitor", "VS Code"; default "clusterlab"). */
  owner?: string;
}

export interface FailoverEventsMap {
  event: [FailoverEvent];
}

export class FailoverController extends EventEmitter<FailoverEventsMap> {
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly gaveUp = new Set<string>();
  private readonly unplaceableSaid = new Map<string, string>();
  private readonly now: () => number;
  private startedAt = 0;
  private busy = false;
  private readonly unsubscribe: Array<() => void> = [];
  /** The coordinator lease (undefined: acts without one). */
  readonly lease: CoordinatorLease | undefined;

  constructor(private readonly opts: FailoverOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.lease = opts.lease === false ? undefined : (opts.lease ?? new CoordinatorLease({ rootDir: opts.session.opts.rootDir, owner: opts.owner ?? 'clusterlab' }));
  }

  /** Whether this coordinator acts (holds the lease, or runs without one). */
  get acting(): boolean {
    return this.lease ? this.lease.held : true;
  }

  private onLease = (s: LeaseState): void => {
    const host = this.lease?.hostname ?? '';
    const pick = (l: LeaseInfo) => ({ pid: l.pid, hostname: l.hostname, owner: l.owner, started_at: l.started_at });
    if (s.held) {
      const from = s.tookOverFrom;
      this.say({ event: 'lease_acquired', node: '-', holder: pick(s.info), reason: from ? `this one handles failover now: took over from ${from.holder ? describeHolder(from.holder, host) : 'an unreadable lease'} (${from.why})` : 'this one handles failover (restart, replace, stop stale copies)' });
      this.poke();
    } else if (s.holder) {
      this.say({ event: 'lease_watching', node: '-', holder: pick(s.holder), reason: watchOnlyMessage(s.holder, host) });
    }
  };

  private say(e: Omit<FailoverEvent, 'at'> & { at?: string }): void {
    this.emit('event', { ...e, at: e.at ?? new Date(this.now()).toISOString() });
  }

  /**
   * Start the monitor, wait for its first round of probes, reattach to every active run on the
   * nodes that answered, then loop. Resolves with the runs found alive.
   */
  async start(): Promise<{ reattached: RunRecord[]; active: RunRecord[] }> {
    const { session, monitor } = this.opts;
    this.startedAt = this.now();
    this.running = true;
    const onDown = (e: NodeEvent) => {
      this.say({ at: e.at, event: 'node_down', node: e.node, reason: `${e.reason} (${e.failures ?? '?'} failed probes since ${e.since ?? '?'})` });
      this.poke();
    };
    const onUp = (e: NodeEvent) => {
      this.say({ at: e.at, event: 'node_up', node: e.node, reason: e.reason });
      this.poke();
    };
    const onStatus = (e: NodeEvent) => this.say({ at: e.at, event: 'node_status', node: e.node, reason: `${e.previous ?? '?'} → ${e.status}: ${e.reason}` });
    const onRun = (rec: RunRecord, c: RunChange) => {
      const ev = `run_${c.to}` as FailoverEventName;
      if ((FAILOVER_EVENTS as readonly string[]).includes(ev)) this.say({ event: ev, node: c.node, instance_id: c.instance_id, run_id: c.run_id, restart_count: rec.restart_count, reason: c.reason });
    };
    monitor.on('node-down', onDown);
    monitor.on('node-up', onUp);
    monitor.on('status-changed', onStatus);
    session.on('run-changed', onRun);
    this.unsubscribe.push(
      () => monitor.off('node-down', onDown),
      () => monitor.off('node-up', onUp),
      () => monitor.off('status-changed', onStatus),
      () => session.off('run-changed', onRun),
    );
    if (this.lease) {
      this.lease.on('change', this.onLease);
      this.unsubscribe.push(() => this.lease?.off('change', this.onLease));
      await this.lease.ensure().catch((e: unknown) => this.say({ event: 'action_failed', node: '-', reason: `coordinator lease ${this.lease?.path ?? ''}: ${describeError(e)}; not acting until it can be written` }));
      this.lease.start();
    }
    monitor.start();
    await monitor.settled(1);
    // Reattach: reconcile the active runs on nodes that answered; the others wait for the monitor.
    const active = (await session.store.list()).filter((r) => isActive(r.status));
    await session.reconcile(active.filter((r) => monitor.answered(r.node)));
    const after = await session.store.list();
    const reattached = after.filter((r) => active.some((a) => a.run_id === r.run_id) && r.status === 'running');
    for (const r of reattached) this.say({ event: 'run_reattached', node: r.node, instance_id: r.instance_id, run_id: r.run_id, reason: `reattached to pid ${r.pid ?? '?'} on ${r.node}` });
    this.loopDone = this.loop();
    return { reattached, active };
  }

  /** Look at the runs now. */
  poke(): void {
    this.wake?.();
  }

  /** Stop the loop and the monitor; the runs keep going. */
  async stop(): Promise<void> {
    this.running = false;
    this.poke();
    await this.loopDone;
    await this.lease?.release();
    for (const u of this.unsubscribe.splice(0)) u();
    await this.opts.monitor.stop();
  }

  private async loop(): Promise<void> {
    const tick = this.opts.tickMs ?? 1000;
    while (this.running) {
      let nextDue: number | undefined;
      try {
        nextDue = await this.tick();
      } catch (e) {
        this.say({ event: 'action_failed', node: '-', reason: `failover loop: ${describeError(e)}` });
      }
      if (!this.running) break;
      const wait = Math.max(50, Math.min(tick, nextDue !== undefined ? nextDue - this.now() : tick));
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.wake = null;
          resolve();
        };
        const t = setTimeout(done, wait);
        this.wake = done;
      });
    }
  }

  /** One look: reconcile what answers, decide, act. Returns when the next restart is due. */
  async tick(): Promise<number | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    try {
      const { session, monitor } = this.opts;
      // Refresh the lease, or take it if its holder stopped or died; only the holder acts.
      const acting = this.lease ? await this.lease.ensure().catch((e: unknown) => {
        this.say({ event: 'action_failed', node: '-', reason: `coordinator lease ${this.lease?.path ?? ''}: ${describeError(e)}; not acting until it can be written` });
        return false;
      }) : true;
      const before = await session.store.list();
      // Reconcile active runs on nodes whose latest probe succeeded (lost ones come back here).
      const check = before.filter((r) => isActive(r.status) && monitor.answered(r.node) && !monitor.isDown(r.node));
      if (check.length) await session.reconcile(check);
      const runs = await session.store.list();
      const instances = this.opts.instances ? Object.fromEntries(this.opts.instances.map((i) => [i.instance_id, i])) : undefined;
      const decision = decideFailover({
        runs: relevant(runs),
        liveness: monitor.liveness(),
        nodes: session.cluster.nodes,
        weights: session.cluster.placement?.weights ?? DEFAULT_WEIGHTS,
        status: monitor.statuses(),
        load: monitor.load(),
        ...(session.cluster.failover ? { defaultPolicy: session.cluster.failover } : {}),
        ...(instances ? { instances } : {}),
        failuresSince: this.startedAt - (this.opts.lookbackMs ?? 10 * 60_000),
        gaveUp: this.gaveUp,
        now: this.now(),
      });
      // A coordinator without the lease only records what it sees (lost runs).
      if (!acting) {
        for (const a of decision.actions.filter((x) => x.kind === 'mark_lost')) await this.apply(a, runs, instances);
        return decision.nextDueAt;
      }
      // Stale copies first (two copies never run), then the rest.
      const ordered = [...decision.actions.filter((a) => a.kind === 'stop_stale'), ...decision.actions.filter((a) => a.kind !== 'stop_stale')];
      await Promise.all(ordered.filter((a) => a.kind === 'stop_stale').map((a) => this.apply(a, runs, instances)));
      for (const a of ordered.filter((x) => x.kind !== 'stop_stale')) await this.apply(a, runs, instances);
      return decision.nextDueAt;
    } finally {
      this.busy = false;
    }
  }

  private async apply(a: FailoverAction, runs: RunRecord[], instances: Record<string, InstanceConfig> | undefined): Promise<void> {
    const { session } = this.opts;
    const rec = runs.find((r) => r.run_id === a.run_id);
    try {
      switch (a.kind) {
        case 'mark_lost':
          await session.mark(a.run_id, 'lost', a.reason);
          return;
        case 'stop_stale': {
          const stopped = await session.stop(a.run_id, 0);
          this.say({ event: 'run_stopped_stale', node: a.node, instance_id: a.instance_id, run_id: a.run_id, reason: `${a.reason} (${stopped.status})` });
          return;
        }
        case 'give_up':
          this.gaveUp.add(a.run_id);
          this.say({ event: 'run_gave_up', node: a.node, instance_id: a.instance_id, run_id: a.run_id, reason: a.reason });
          return;
        case 'unplaceable':
          if (this.unplaceableSaid.get(a.run_id) !== a.reason) this.say({ event: 'run_unplaceable', node: a.node, instance_id: a.instance_id, run_id: a.run_id, reason: a.reason });
          this.unplaceableSaid.set(a.run_id, a.reason);
          return;
        case 'restart':
        case 'replace': {
          const instance = instances?.[a.instance_id] ?? rec?.instance_config;
          if (!rec || !instance) return;
          const policy = policyOf(instance, session.cluster.failover);
          const node = a.node;
          const reason = `${a.kind === 'replace' ? 'replaces' : 'restarts'} run ${rec.run_id}: ${a.reason}`;
          let next: RunRecord;
          try {
            next = await session.start(instance, node, a.kind === 'replace' ? { node, score: a.score, breakdown: {}, manual: false } : rec.placement, {
              restartCount: rec.restart_count + 1,
              supersedes: [rec.run_id],
              reason,
              ...(a.resume && policy.resume_command !== undefined ? { commandTemplate: policy.resume_command } : {}),
            });
          } catch (e) {
            // The attempt counts: a record in `failed` was written (unless the start was refused).
            this.say({ event: 'action_failed', node, instance_id: a.instance_id, run_id: a.run_id, reason: `${a.kind} of ${a.instance_id} on ${node} failed: ${describeError(e)}` });
            return;
          }
          this.say({
            event: a.kind === 'replace' ? 'run_replaced' : 'run_restarted',
            node: a.kind === 'replace' ? a.from_node : a.node,
            ...(a.kind === 'replace' ? { to_node: a.node } : {}),
            instance_id: a.instance_id,
            run_id: a.run_id,
            new_run_id: next.run_id,
            restart_count: next.restart_count,
            reason: a.reason,
          });
          return;
        }
      }
    } catch (e) {
      this.say({ event: 'action_failed', node: a.node, instance_id: a.instance_id, run_id: a.run_id, reason: `${a.kind}: ${describeError(e)}` });
    }
  }
}

/** The last few runs of each instance (keeps a big run store cheap; older ones are history). */
function relevant(runs: RunRecord[]): RunRecord[] {
  return [...byInstance(runs).values()].flatMap((list) => list.slice(-8));
}
