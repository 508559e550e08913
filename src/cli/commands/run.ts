// clusterlab run --experiments FILE... [--placement SPEC | --auto-place] [--follow]
//                [--monitor-duration S]
// The main job: validate, check health, place, deploy, start detached, then monitor. With
// --follow every instance's lines stream prefixed [instance@node] until all runs end; the exit
// code is 0 when every run exited 0, 1 otherwise. Ctrl-C stops watching; the runs keep going.
import { EXIT_OK, EXIT_PROBLEM, UsageError, type CliCommand, type CliIO } from '../command';
import { CONNECT_HELP, CONNECT_OPTIONS } from '../connect';
import { printDiagnostics } from '../workspace';
import { DEFAULT_HEALTH, DEFAULT_WEIGHTS, type InstanceConfig } from '../../core/config/schema';
import { describeError } from '../../core/errors';
import type { NodeHealth, NodeStatus } from '../../core/health/types';
import { plan } from '../../core/placement/plan';
import { parsePlacementSpec } from '../../core/placement/spec';
import type { PlacementInput, PlanResult } from '../../core/placement/types';
import { deploySourceDir, nodeWorkDir } from '../../core/runs/plan';
import { describeStatus, isTerminal } from '../../core/runs/stateMachine';
import type { RunRecord } from '../../core/runs/types';
import { checkAll } from '../../remote/healthCheck';
import type { LogFollower } from '../../remote/logs/follower';
import { deployAll } from '../../remote/sync/deploy-all';
import { printSpecErrors } from './plan';
import { fmtDuration, openSession, type OpenedSession } from './runs-common';
import { byInstance, failoverPending, policyOf } from '../../core/failover/decide';
import { FailoverController } from '../../remote/failover';
import { HealthMonitor } from '../../remote/monitor';
import { sleepUnlessAborted } from '../sleep';

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Validate, check health, place, deploy and start experiments, then watch them',
  usage: ['run --experiments FILE... [--placement SPEC | --auto-place] [--follow] [--monitor-duration S]'],
  help: [
    '  --experiments FILE      experiment file (YAML or JSON); repeat for several',
    '  --placement SPEC        manual placement "instance:node,instance2:node2"',
    '  --auto-place            place by score (the default when --placement is not given)',
    '  -f, --follow            stream every instance\'s log, prefixed [instance@node], until all',
    '                          runs end; exit 0 when all exited 0, else 1',
    '  --monitor-duration S    watch status changes for at most S seconds (runs keep going after)',
    '',
    'Without --follow or --monitor-duration the runs are started detached and the command returns;',
    'watch them later with "clusterlab status" and "clusterlab logs -f INSTANCE".',
    CONNECT_HELP,
  ].join('\n'),
  options: {
    experiments: { type: 'string', multiple: true },
    config: { type: 'string', multiple: true },
    placement: { type: 'string' },
    'auto-place': { type: 'boolean' },
    follow: { type: 'boolean', short: 'f' },
    'monitor-duration': { type: 'string' },
    ...CONNECT_OPTIONS,
  },
  allowPositionals: true,
  async run(io, values, positionals) {
    const experiments = [...((values.experiments as string[] | undefined) ?? []), ...((values.config as string[] | undefined) ?? []), ...positionals];
    if (!experiments.length) throw new UsageError('name the experiment files with --experiments FILE');
    if (typeof values.placement === 'string' && values['auto-place']) throw new UsageError('use either --placement SPEC or --auto-place, not both');
    let monitorSeconds: number | undefined;
    if (typeof values['monitor-duration'] === 'string') {
      monitorSeconds = Number(values['monitor-duration']);
      if (!Number.isFinite(monitorSeconds) || monitorSeconds < 0) throw new UsageError(`--monitor-duration must be a number of seconds, got "${values['monitor-duration']}"`);
    }
    const opened = await openSession(io, values, experiments);
    if (typeof opened === 'number') return opened;
    try {
      return await runMain(io, opened, { spec: typeof values.placement === 'string' ? values.placement : undefined, follow: values.follow === true, monitorSeconds });
    } finally {
      await opened.pool.closeAll();
    }
  },
};

interface RunFlags {
  spec: string | undefined;
  follow: boolean;
  monitorSeconds: number | undefined;
}

async function runMain(io: CliIO, o: OpenedSession, flags: RunFlags): Promise<number> {
  const { model, session, pool, ws } = o;
  const cluster = model.cluster;
  const warnings = ws.diagnostics.filter((d) => d.severity !== 'error');
  if (warnings.length) printDiagnostics(io, warnings);
  const instances = model.instances;
  io.out(`✓ Configuration valid: ${cluster.nodes.length} node(s), ${instances.length} instance(s) from ${ws.experimentPaths.length} experiment file(s)\n`);

  // 1. Refuse instances that are already running (before anything is deployed).
  const running: RunRecord[] = [];
  for (const inst of instances) {
    const r = await session.activeRunOf(inst.instance_id);
    if (r) running.push(r);
  }
  if (running.length) {
    for (const r of running) io.err(`clusterlab run: instance ${r.instance_id} is already ${r.status} on node ${r.node} (run ${r.run_id}). Stop it first with "clusterlab stop ${r.instance_id}", or wait for it to finish\n`);
    return EXIT_PROBLEM;
  }

  // 2. Health.
  const timeoutMs = (cluster.health?.timeout_seconds ?? DEFAULT_HEALTH.timeout_seconds) * 1000;
  const health = await checkAll(cluster.nodes, pool, { timeoutMs, workDir: (n) => nodeWorkDir(cluster, n, ws.rootDir), signal: io.signal });
  io.out('\nHealth\n');
  for (const h of health) io.out(`  ${healthLine(h, cluster.nodes.map((n) => n.name))}\n`);
  const status: Record<string, NodeStatus> = {};
  const load: Record<string, number> = {};
  for (const h of health) {
    status[h.name] = h.status;
    if (h.load_1m !== undefined && h.cpu_count) load[h.name] = h.load_1m / h.cpu_count;
  }

  // 3. Placement.
  const active = (await session.store.list()).filter((r) => !isTerminal(r.status));
  // Live runs of other instances keep their share of their nodes.
  const existing = active.flatMap((r) => (r.instance_config ? [{ instance: r.instance_config, node: r.node }] : []));
  let pins: Record<string, string> | undefined;
  if (flags.spec !== undefined) {
    const parsed = parsePlacementSpec(flags.spec, instances.map((i) => i.instance_id), cluster.nodes.map((n) => n.name));
    if (!parsed.ok) {
      printSpecErrors(io, 'run', flags.spec, parsed.errors);
      return EXIT_PROBLEM;
    }
    pins = parsed.pins;
  }
  const input: PlacementInput = { nodes: cluster.nodes, instances, weights: cluster.placement?.weights ?? DEFAULT_WEIGHTS, status, load, existing, ...(pins ? { pins } : {}) };
  const result: PlanResult = plan(input);
  io.out(`\nPlacement (${pins ? (Object.keys(pins).length === instances.length ? 'manual' : 'manual + automatic') : 'automatic'})\n`);
  const idw = Math.max(...instances.map((i) => i.instance_id.length));
  for (const p of result.placements) {
    io.out(`  ${p.instance_id.padEnd(idw)} → ${p.node}${p.manual ? '  (manual)' : `  score ${p.score.toFixed(1)}`}\n`);
  }
  const unplaced = [...(result.pin_errors ?? []).map((e) => ({ id: e.instance_id, why: `${e.node}: ${e.reasons.join('; ')}` })), ...result.unplaced.filter((u) => !(result.pin_errors ?? []).some((e) => e.instance_id === u.instance_id)).map((u) => ({ id: u.instance_id, why: Object.entries(u.reasons).map(([n, r]) => `${n}: ${r}`).join('; ') }))];
  if (unplaced.length) {
    for (const u of unplaced) io.err(`clusterlab run: cannot place ${u.id}: ${u.why || 'no node can take it'}\n`);
    io.err('Nothing was started. Free resources, fix the placement, or bring nodes back, then run again.\n');
    return EXIT_PROBLEM;
  }

  // 4. Deploy to every node that gets an instance.
  const targetNames = [...new Set(result.placements.map((p) => p.node))];
  const targets = targetNames.map((name) => {
    const node = session.node(name);
    return { node, remoteDir: nodeWorkDir(cluster, node, ws.rootDir) };
  });
  io.out('\nDeploy\n');
  const { outcomes } = await deployAll(targets, pool, { sourceDir: deploySourceDir(cluster, ws.rootDir), exclude: cluster.deploy?.exclude ?? [], hostMode: cluster.deploy?.host_mode ?? 'in_place', signal: io.signal });
  const failedNodes = new Set<string>();
  for (const out of outcomes) {
    if (out.status === 'in_place') io.out(`  ${out.node}: ${out.message}\n`);
    else if (out.status === 'deployed') io.out(`  ${out.node}: ${out.result.filesSent} file(s) sent (${fmtBytes(out.result.bytesSent)}), ${out.result.filesRemoved} removed, ${out.result.unchanged} unchanged in ${fmtDuration(out.result.durationMs)}\n`);
    else {
      failedNodes.add(out.node);
      io.err(`  ${out.node}: deploy failed: ${out.error}\n`);
    }
  }
  if (failedNodes.size) {
    io.err(`Nothing was started: deploy failed on ${[...failedNodes].join(', ')}.\n`);
    return EXIT_PROBLEM;
  }

  // 5. Start.
  io.out('\nStart\n');
  const runs: RunRecord[] = [];
  let startFailures = 0;
  for (const p of result.placements) {
    const inst = instances.find((i) => i.instance_id === p.instance_id) as InstanceConfig;
    try {
      const rec = await session.start(inst, p.node, { node: p.node, score: p.score, breakdown: { ...p.breakdown }, manual: p.manual === true });
      runs.push(rec);
      io.out(`  ▶ ${rec.instance_id}@${rec.node}  pid ${rec.pid}  log ${rec.log_path}\n`);
    } catch (e) {
      startFailures++;
      io.err(`  ✗ ${p.instance_id}@${p.node}: ${describeError(e)}\n`);
    }
  }
  if (!runs.length) return EXIT_PROBLEM;

  if (!flags.follow && flags.monitorSeconds === undefined) {
    io.out(`\n${runs.length} run(s) started and detached. Watch them with "clusterlab status", "clusterlab logs -f INSTANCE"; stop with "clusterlab stop INSTANCE" or "--all".\n`);
    return startFailures ? EXIT_PROBLEM : EXIT_OK;
  }
  const final = await monitor(io, o, runs, flags);
  if (final === 'interrupted') {
    io.out('\nStopped watching; the runs keep going. "clusterlab status" shows them, "clusterlab stop --all" stops them.\n');
    return 130;
  }
  if (final === 'timeout') {
    io.out(`\nMonitoring ended after ${flags.monitorSeconds} s; the runs keep going. "clusterlab status" shows them.\n`);
    return startFailures ? EXIT_PROBLEM : EXIT_OK;
  }
  const ok = final.filter((r) => r.status === 'exited' && r.exit_code === 0).length;
  io.out(`\nSummary: ${ok} of ${final.length} run(s) exited 0`);
  const bad = final.filter((r) => !(r.status === 'exited' && r.exit_code === 0));
  if (bad.length) io.out(`; ${bad.map((r) => `${r.instance_id} ${describeStatus(r)}`).join(', ')}`);
  io.out('\n');
  if (bad.length) io.out(`See the failing output with "clusterlab logs ${bad[0]?.instance_id}".\n`);
  return bad.length || startFailures ? EXIT_PROBLEM : EXIT_OK;
}

/** Watch until every run is terminal (→ final records), the duration passes, or Ctrl-C. */
async function monitor(io: CliIO, o: OpenedSession, runs: RunRecord[], flags: RunFlags): Promise<RunRecord[] | 'timeout' | 'interrupted'> {
  const { session } = o;
  const ids = new Set(runs.map((r) => r.run_id));
  const interval = Math.min(1000, (session.cluster.health?.interval_seconds ?? DEFAULT_HEALTH.interval_seconds) * 1000);
  const followers = new Map<string, LogFollower>();
  io.out(flags.follow ? `\nFollowing ${runs.length} run(s); Ctrl-C stops watching (the runs keep going).\n` : `\nWatching ${runs.length} run(s)${flags.monitorSeconds !== undefined ? ` for up to ${flags.monitorSeconds} s` : ''}; Ctrl-C stops watching (the runs keep going).\n`);
  const onChange = (rec: RunRecord) => {
    if (!ids.has(rec.run_id)) return;
    if (isTerminal(rec.status) || rec.status === 'lost' || rec.status === 'running') {
      const mark = rec.status === 'exited' && rec.exit_code === 0 ? '✓' : rec.status === 'running' ? '▶' : '✗';
      const tail = isTerminal(rec.status) && rec.started_at && rec.ended_at ? ` after ${fmtDuration(Date.parse(rec.ended_at) - Date.parse(rec.started_at))}` : '';
      const why = rec.status === 'lost' || rec.status === 'crashed' || rec.status === 'running' ? ` (${rec.transitions.at(-1)?.reason ?? ''})` : '';
      const line = `${mark} ${rec.instance_id}@${rec.node} ${describeStatus(rec)}${tail}${why}\n`;
      // Finished runs are announced once their log is drained (see below) when following.
      if (!flags.follow || !isTerminal(rec.status)) io.out(line);
      else pendingAnnounce.set(rec.run_id, line);
    }
  };
  const pendingAnnounce = new Map<string, string>();
  session.on('run-changed', onChange);
  const follow = (r: RunRecord) => {
    const prefix = `[${r.instance_id}@${r.node}] `;
    const f = session.followLogs(r, (b) => io.out(prefix + b.lines.join('\n' + prefix) + '\n'), { onNotice: (n) => io.err(`${prefix}(${n.message})\n`) });
    followers.set(r.run_id, f);
    void f.start();
  };
  if (flags.follow) for (const r of runs) follow(r);
  // Health monitor + failover while watching: restarted and replaced runs are followed too.
  const cluster = session.cluster;
  const healthMonitor = new HealthMonitor({ nodes: cluster.nodes, pool: o.pool, ...(cluster.health ? { health: cluster.health } : {}), workDir: (n) => nodeWorkDir(cluster, n, o.ws.rootDir) });
  const failover = new FailoverController({ session, monitor: healthMonitor, instances: o.model.instances, owner: 'clusterlab run' });
  failover.on('event', (e) => {
    if (e.event === 'node_down' || e.event === 'node_up') io.out(`${e.event === 'node_down' ? '✗' : '✓'} node ${e.node} ${e.event === 'node_down' ? 'unavailable' : 'back'}: ${e.reason}\n`);
    else if (e.event === 'lease_watching') io.out(`ⓘ ${e.reason}\n`);
    else if (e.event === 'run_restarted' || e.event === 'run_replaced' || e.event === 'run_stopped_stale' || e.event === 'run_gave_up' || e.event === 'run_unplaceable' || e.event === 'action_failed') io.out(`↻ ${e.instance_id ?? ''}@${e.node}${e.to_node ? ` → ${e.to_node}` : ''} ${e.event.replace(/^run_/, '')}: ${e.reason}\n`);
    if (e.new_run_id && ids.has(e.run_id ?? '')) {
      ids.add(e.new_run_id);
      void session.store.get(e.new_run_id).then((rec) => {
        if (rec && flags.follow && !followers.has(rec.run_id)) follow(rec);
      });
    }
  });
  await failover.start();
  const deadline = flags.monitorSeconds !== undefined ? Date.now() + flags.monitorSeconds * 1000 : Infinity;
  let outcome: RunRecord[] | 'timeout' | 'interrupted' = 'interrupted';
  try {
    for (;;) {
      await sleepUnlessAborted(Math.min(interval, Math.max(0, deadline - Date.now())), io.signal);
      if (io.signal.aborted) break;
      // The failover controller reconciles; each instance's newest run is the one that counts.
      const all = (await session.store.list()).filter((r) => ids.has(r.run_id));
      const now = [...byInstance(all).values()].map((l) => l[l.length - 1] as RunRecord);
      for (const old of all) {
        const f = followers.get(old.run_id);
        // A superseded run's follower keeps going until its node answers and it ends.
        if (f && !now.includes(old) && isTerminal(old.status)) {
          followers.delete(old.run_id);
          await f.drain(5000);
        }
      }
      for (const r of now) {
        const f = followers.get(r.run_id);
        if (isTerminal(r.status) && f) {
          followers.delete(r.run_id);
          await f.drain(5000);
        }
        const msg = pendingAnnounce.get(r.run_id);
        if (msg && !followers.has(r.run_id)) {
          io.out(msg);
          pendingAnnounce.delete(r.run_id);
        }
      }
      if (now.every((r) => isTerminal(r.status) && !failoverPending(r, policyOf(o.model.instances.find((i) => i.instance_id === r.instance_id) ?? r.instance_config, cluster.failover)))) {
        outcome = now;
        break;
      }
      if (Date.now() >= deadline) {
        outcome = 'timeout';
        break;
      }
    }
  } finally {
    await failover.stop();
    session.off('run-changed', onChange);
    await Promise.all([...followers.values()].map((f) => f.stop()));
  }
  return outcome;
}

function healthLine(h: NodeHealth, names: string[]): string {
  const w = Math.max(...names.map((n) => n.length));
  const mark = h.status === 'healthy' ? '✓' : h.status === 'degraded' ? '!' : '✗';
  const parts: string[] = [];
  if (h.ram_available_gb !== undefined && h.ram_total_gb !== undefined) parts.push(`RAM ${h.ram_available_gb.toFixed(1)}/${h.ram_total_gb.toFixed(1)} GB free`);
  if (h.load_1m !== undefined) parts.push(`load ${h.load_1m.toFixed(2)}`);
  if (h.gpu?.name) parts.push(`GPU ${h.gpu.name}`);
  if (h.reason) parts.push(h.reason);
  return `${mark} ${h.name.padEnd(w)}  ${h.status.padEnd(11)} ${parts.join(', ')}`.trimEnd();
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

