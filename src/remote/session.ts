// ClusterSession: the one facade over runs that the CLI and the VS Code extension share.
//
//   const s = new ClusterSession({ rootDir, clusterDir, cluster, instanceSource, connections });
//   s.on('run-changed', (record, change) => …);   // every status change, from any method
//   await s.reconcile();                             // reattach: records vs. what nodes report
//   const rec = await s.start(instance, 'rpi1', decision);
//   const f = s.followLogs(rec, (batch) => …);       // LogFollower; f.stop() / f.drain()
//   await s.stop('brain_A');  await s.stopAll();
//   await s.applyHealth(healthReports);              // cheap reconcile from probes you already ran
//
// Records live in <rootDir>/.clusterlab/runs/ (RunStore). The session holds no timers: callers
// decide when to reconcile (the CLI's monitor loop, the extension's refresh).
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ClusterFile, InstanceConfig, NodeConfig } from '../core/config/schema';
import { DEFAULT_RUN } from '../core/config/schema';
import { ClusterLabError, describeError } from '../core/errors';
import { makeRunId, remoteLogPath, remoteRunDir } from '../core/runs/ids';
import { deploySourceDir, experimentConfigPath, nodeWorkDir, planCommand } from '../core/runs/plan';
import { observationFromHealth, reconcile as reconcileRecords } from '../core/runs/reconcile';
import type { NodeHealth } from '../core/health/types';
import { canTransition, initialRecord, isActive, transition } from '../core/runs/stateMachine';
import { TemplateError } from '../core/runs/template';
import type { NodeObservation, ObservedRun, PlacementDecision, RunChange, RunRecord } from '../core/runs/types';
import type { NodeConnection } from './connection';
import { LogFollower, type FollowNotice, type LogBatch } from './logs/follower';
import { gitInfo } from './process/git';
import { inspectRuns } from './process/inspect';
import { startRun } from './process/start';
import { stopRun } from './process/stop';
import { RunStore } from './runStore';

/** Where connections come from (the ConnectionPool satisfies this). */
export interface ConnectionSource {
  get(node: NodeConfig): Promise<NodeConnection>;
}

export interface ClusterSessionOptions {
  /** Workspace folder: run records go to <rootDir>/.clusterlab/runs/. */
  rootDir: string;
  /** Folder of the cluster file (deploy.source is relative to it). */
  clusterDir: string;
  cluster: ClusterFile;
  /** instance_id → absolute path of the file that defines it ({experiment_config_path} default). */
  instanceSource?: Record<string, string>;
  connections: ConnectionSource;
  /** Per-node timeout for reconcile and stop look-ups (ms). Default 15 s. */
  nodeTimeoutMs?: number;
  now?: () => Date;
}

export interface StartOptions {
  restartCount?: number;
  /** Command template used instead of the instance's (failover's resume_command). */
  commandTemplate?: string;
  /** Older runs of the instance this start replaces: not counted as "already running" (failover). */
  supersedes?: readonly string[];
  /** Reason recorded on the first transition (default: where it was placed). */
  reason?: string;
}

export interface FollowLogsOptions {
  /** Start at this offset instead of the beginning of the run's own output. */
  offset?: number;
  lastLines?: number;
  follow?: boolean;
  onNotice?: (n: FollowNotice) => void;
}

export interface SessionEvents {
  'run-changed': [record: RunRecord, change: RunChange];
}

export class ClusterSession extends EventEmitter<SessionEvents> {
  readonly store: RunStore;
  private readonly now: () => Date;
  private readonly workDirs = new Map<string, string>();

  constructor(readonly opts: ClusterSessionOptions) {
    super();
    this.store = new RunStore(opts.rootDir);
    this.now = opts.now ?? (() => new Date());
  }

  get cluster(): ClusterFile {
    return this.opts.cluster;
  }

  node(name: string): NodeConfig {
    const n = this.opts.cluster.nodes.find((x) => x.name === name);
    if (!n) throw new ClusterLabError('run.unknown_node', `node ${name} is not in the cluster file`, `Use one of: ${this.opts.cluster.nodes.map((x) => x.name).join(', ') || '(no nodes defined)'}`, { kind: 'cli' });
    return n;
  }

  /** The absolute work dir of a node (resolved on the node once, then cached). */
  async workDir(nodeName: string, conn?: NodeConnection): Promise<string> {
    const cached = this.workDirs.get(nodeName);
    if (cached) return cached;
    const c = conn ?? (await this.opts.connections.get(this.node(nodeName)));
    const dir = await c.resolvePath(nodeWorkDir(this.opts.cluster, this.node(nodeName), this.opts.clusterDir));
    this.workDirs.set(nodeName, dir);
    return dir;
  }

  /** All records, oldest first (no node contact). */
  runs(): Promise<RunRecord[]> {
    return this.store.list();
  }

  /** Reconcile, then return every record: what `clusterlab status` shows. */
  async status(): Promise<RunRecord[]> {
    await this.reconcile();
    return this.store.list();
  }

  /**
   * Reattach: ask every node that has active runs about their run directories, move records
   * to their new statuses (running, exited, failed, crashed, lost and back), save and emit.
   */
  async reconcile(onlyRuns?: readonly RunRecord[]): Promise<RunChange[]> {
    const active = (onlyRuns ?? (await this.store.list())).filter((r) => isActive(r.status));
    if (!active.length) return [];
    const byNode = new Map<string, RunRecord[]>();
    for (const r of active) byNode.set(r.node, [...(byNode.get(r.node) ?? []), r]);
    const observations: Record<string, NodeObservation> = {};
    await Promise.all(
      [...byNode.entries()].map(async ([node, recs]) => {
        observations[node] = await this.observe(node, recs);
      }),
    );
    return this.saveReconciled(active, observations);
  }

  /** Applies what the nodes reported to the active records, saving and announcing each change. */
  private async saveReconciled(active: RunRecord[], observations: Record<string, NodeObservation>): Promise<RunChange[]> {
    const now = this.now().toISOString();
    const { changes } = reconcileRecords(active, observations, now);
    const saved: RunChange[] = [];
    for (const c of changes) {
      // The nodes were asked while others may have written the record (a stop marked before its
      // signal, a restart): decide again from what is stored now, so nothing is overwritten.
      const fresh = await this.store.get(c.run_id);
      // Moved on meanwhile (started, stopped, restarted): the observation is older than the record.
      if (!fresh || fresh.status !== c.from) continue;
      const again = reconcileRecords([fresh], observations, now);
      const rec = again.records[0];
      const change = again.changes[0];
      if (!rec || !change) continue;
      await this.store.save(rec);
      this.emit('run-changed', rec, change);
      saved.push(change);
    }
    return saved;
  }

  /**
   * Reconcile from health probes the caller already has (NodeHealth.runs): no extra exec. Only
   * moves runs to running / exited / failed / lost; "crashed" needs `reconcile()`.
   */
  async applyHealth(health: readonly NodeHealth[]): Promise<RunChange[]> {
    const active = (await this.store.list()).filter((r) => isActive(r.status));
    const observations: Record<string, NodeObservation> = {};
    for (const h of health) observations[h.name] = observationFromHealth(h);
    return this.saveReconciled(active, observations);
  }

  private async observe(node: string, recs: RunRecord[]): Promise<NodeObservation> {
    try {
      return await withTimeout(
        (async () => {
          const conn = await this.opts.connections.get(this.node(node));
          const runs: Record<string, ObservedRun> = {};
          const byDir = new Map<string, string[]>();
          for (const r of recs) byDir.set(r.remote_work_dir, [...(byDir.get(r.remote_work_dir) ?? []), r.run_id]);
          for (const [dir, ids] of byDir) Object.assign(runs, await inspectRuns(conn, dir, ids));
          return { reachable: true as const, runs };
        })(),
        this.opts.nodeTimeoutMs ?? 15_000,
        `no answer from node ${node}`,
      );
    } catch (e) {
      return { reachable: false, reason: describeError(e).replace(/^node \S+: /, '') };
    }
  }

  /** Newest active record of an instance (after reconciling it), if any. */
  async activeRunOf(instanceId: string, ignore: readonly string[] = []): Promise<RunRecord | undefined> {
    const mine = (await this.store.list()).filter((r) => r.instance_id === instanceId && isActive(r.status) && !ignore.includes(r.run_id));
    if (!mine.length) return undefined;
    await this.reconcile(mine);
    const again = (await this.store.list()).filter((r) => r.instance_id === instanceId && isActive(r.status) && !ignore.includes(r.run_id));
    return again[again.length - 1];
  }

  /**
   * Start `instance` on `nodeName`, detached. Refused (ClusterLabError run.already_running) when
   * the instance has a live run, here or on the node.
   */
  async start(instance: InstanceConfig, nodeName: string, decision?: PlacementDecision, opts: StartOptions = {}): Promise<RunRecord> {
    const node = this.node(nodeName);
    const existing = await this.activeRunOf(instance.instance_id, opts.supersedes);
    if (existing) {
      throw new ClusterLabError(
        'run.already_running',
        `instance ${instance.instance_id} is already ${existing.status} on node ${existing.node} (run ${existing.run_id})`,
        `Stop it first with "clusterlab stop ${instance.instance_id}", or wait for it to finish`,
        { kind: 'node', node: existing.node },
      );
    }
    const conn = await this.opts.connections.get(node);
    const workDir = await this.workDir(node.name, conn);
    const at = this.now();
    const runId = makeRunId(instance.instance_id, at, randomBytes(4).toString('hex'));
    const cfgPath = experimentConfigPath(instance, this.opts.instanceSource?.[instance.instance_id], deploySourceDir(this.opts.cluster, this.opts.clusterDir));
    let plan;
    try {
      const forCommand = opts.commandTemplate !== undefined ? { ...instance, command: opts.commandTemplate } : instance;
      plan = planCommand({ cluster: this.opts.cluster, instance: forCommand, node: node.name, runId, remoteWorkDir: workDir, ...(cfgPath !== undefined ? { experimentConfigPath: cfgPath } : {}) });
    } catch (e) {
      if (e instanceof TemplateError) {
        const src = instance.command ? this.opts.instanceSource?.[instance.instance_id] : undefined;
        throw new ClusterLabError('run.template', `${e.message} (instance ${instance.instance_id})`, src ? `Fix the command in ${src}` : 'Fix run.command in the cluster file', { kind: 'cli' });
      }
      throw e;
    }
    const logPath = remoteLogPath(workDir, instance.instance_id);
    const logStat = await conn.stat(logPath).catch(() => null);
    const git = await gitInfo(this.opts.rootDir);
    const configHash = createHash('sha256').update(JSON.stringify({ instance, template: plan.template, env: plan.env, node: node.name })).digest('hex').slice(0, 16);
    let rec = initialRecord(
      {
        run_id: runId,
        instance_id: instance.instance_id,
        node: node.name,
        command: plan.command,
        command_template: plan.template,
        env: plan.env,
        config_hash: configHash,
        instance_config: instance,
        ...git,
        ...(decision ? { placement: decision } : {}),
        ...(cfgPath !== undefined ? { experiment_config_path: cfgPath } : {}),
        remote_work_dir: workDir,
        remote_run_dir: remoteRunDir(workDir, runId),
        log_path: logPath,
        log_start_offset: logStat?.size ?? 0,
        started_at: at.toISOString(),
        restart_count: opts.restartCount ?? 0,
      },
      'starting',
      opts.reason ?? (decision ? `placed on ${node.name} (${decision.manual ? 'manual' : `score ${decision.score.toFixed(1)}`})` : `start on ${node.name}`),
      at.toISOString(),
    );
    await this.store.save(rec);
    try {
      const started = await startRun(conn, { runId, instanceId: instance.instance_id, node: node.name, command: plan.command, remoteWorkDir: workDir, env: plan.env });
      rec = this.move(rec, 'running', `started (pid ${started.pid}, process group ${started.pgid})`, { pid: started.pid, pgid: started.pgid });
    } catch (e) {
      rec = this.move(rec, 'failed', `could not start: ${describeError(e)}`);
      await this.store.save(rec);
      throw e;
    }
    await this.store.save(rec);
    return rec;
  }

  /** Stop by run id or instance id (its live run). SIGTERM to the group, grace, SIGKILL. */
  async stop(runOrInstance: string, graceSeconds?: number): Promise<RunRecord> {
    const all = await this.store.list();
    const target =
      all.find((r) => r.run_id === runOrInstance) ??
      all.filter((r) => r.instance_id === runOrInstance && isActive(r.status)).pop() ??
      undefined;
    if (!target) {
      const known = all.some((r) => r.instance_id === runOrInstance);
      throw new ClusterLabError(
        'run.not_running',
        known ? `instance ${runOrInstance} is not running` : `no run of ${runOrInstance} is known in ${this.store.dir}`,
        known ? 'Nothing to stop; "clusterlab status" shows how it ended' : 'Check the instance id with "clusterlab status"',
        { kind: 'cli' },
      );
    }
    if (!isActive(target.status)) return target;
    const grace = graceSeconds ?? this.opts.cluster.run?.stop_grace_seconds ?? DEFAULT_RUN.stop_grace_seconds;
    let conn: NodeConnection;
    try {
      conn = await this.opts.connections.get(this.node(target.node));
    } catch (e) {
      throw new ClusterLabError('run.stop_unreachable', `cannot stop ${target.instance_id}: ${describeError(e)}`, 'The run keeps going on the node; try again when the node is reachable', { kind: 'node', node: target.node });
    }
    // Recorded before the signal, so a reconcile running meanwhile (the editor, a monitor) sees
    // the exit as a stop, never as a failure to restart.
    const marked: RunRecord = { ...target, stop_requested_at: this.now().toISOString() };
    await this.store.save(marked);
    const res = await stopRun(conn, target.remote_run_dir, grace);
    if (res.outcome === 'not_running') {
      await this.reconcile([marked]);
      return (await this.store.get(target.run_id)) ?? marked;
    }
    const latest = (await this.store.get(target.run_id)) ?? marked;
    if (!isActive(latest.status)) return latest;
    const how = res.outcome === 'terminated' ? 'stopped with SIGTERM' : `did not stop within ${grace} s of SIGTERM; killed with SIGKILL`;
    const rec = this.move(latest, 'stopped', how, res.exit_code !== undefined ? { exit_code: res.exit_code } : {});
    await this.store.save(rec);
    return rec;
  }

  /** Stop every live run, in parallel. Failures are returned, not thrown. */
  async stopAll(graceSeconds?: number): Promise<{ stopped: RunRecord[]; errors: Array<{ run: RunRecord; error: string }> }> {
    const active = (await this.store.list()).filter((r) => isActive(r.status));
    const stopped: RunRecord[] = [];
    const errors: Array<{ run: RunRecord; error: string }> = [];
    await Promise.all(
      active.map(async (r) => {
        try {
          stopped.push(await this.stop(r.run_id, graceSeconds));
        } catch (e) {
          errors.push({ run: r, error: describeError(e) });
        }
      }),
    );
    return { stopped, errors };
  }

  /**
   * Follow a run's log from the start of its own output (or `offset`). Call `start()` on the
   * result; `stop()` ends it, `drain()` delivers what is left once the run has ended.
   */
  followLogs(run: RunRecord, onLines: (batch: LogBatch, run: RunRecord) => void, opts: FollowLogsOptions = {}): LogFollower {
    return new LogFollower({
      node: run.node,
      path: run.log_path,
      offset: opts.offset ?? run.log_start_offset ?? 0,
      ...(opts.lastLines !== undefined ? { lastLines: opts.lastLines } : {}),
      ...(opts.follow !== undefined ? { follow: opts.follow } : {}),
      connect: () => this.opts.connections.get(this.node(run.node)),
      onLines: (b) => onLines(b, run),
      ...(opts.onNotice ? { onNotice: opts.onNotice } : {}),
    });
  }

  /**
   * Record a status change decided elsewhere (failover: a run whose node was lost), save it and
   * emit run-changed. Returns the record unchanged when the move is not allowed or not needed.
   */
  async mark(runId: string, to: RunRecord['status'], reason: string): Promise<RunRecord | undefined> {
    const rec = await this.store.get(runId);
    if (!rec || rec.status === to || !canTransition(rec.status, to)) return rec;
    const next = this.move(rec, to, reason);
    await this.store.save(next);
    return next;
  }

  private move(rec: RunRecord, to: RunRecord['status'], reason: string, extra: Parameters<typeof transition>[4] = {}): RunRecord {
    const from = rec.status;
    const next = transition(rec, to, reason, this.now().toISOString(), extra);
    this.emit('run-changed', next, { run_id: next.run_id, instance_id: next.instance_id, node: next.node, from, to, reason });
    return next;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} within ${Math.round(ms / 1000)} s`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
