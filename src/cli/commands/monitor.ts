// clusterlab monitor [--duration S] [--json] [--interval S]
// Reattach to the runs that exist, then probe every node periodically and apply each instance's
// failover policy (restart, replace, stop stale copies) until Ctrl-C/SIGTERM or the duration.
// The runs keep going when it exits. With --json, one event per line:
//   {"at","event":"node_down|node_up|run_lost|run_restarted|run_replaced|run_stopped_stale|…","node","instance_id","reason",…}
import { EXIT_OK, UsageError, type CliCommand, type CliIO } from '../command';
import { CONNECT_HELP, CONNECT_OPTIONS } from '../connect';
import { DEFAULT_HEALTH } from '../../core/config/schema';
import { nodeWorkDir } from '../../core/runs/plan';
import { FailoverController, type FailoverEvent } from '../../remote/failover';
import { HealthMonitor } from '../../remote/monitor';
import { openSession, type OpenedSession } from './runs-common';
import { sleepUnlessAborted } from '../sleep';

export const monitorCommand: CliCommand = {
  name: 'monitor',
  summary: 'Watch node health and apply failover policies to the running experiments',
  usage: ['monitor [--duration S] [--interval S] [--json]'],
  help: [
    '  --duration S   stop watching after S seconds (default: until Ctrl-C or SIGTERM)',
    '  --interval S   seconds between health probes (default: health.interval_seconds, 2)',
    '  --json         one JSON object per line: {"at","event","node","instance_id","reason",…}',
    '',
    'Reattaches to every run first. A node is marked unavailable after',
    'health.failures_before_unavailable failed probes spanning health.min_failure_seconds; its runs',
    'become lost and follow their failover policy (none, restart, replace). The runs keep going',
    'when monitor exits.',
    CONNECT_HELP,
  ].join('\n'),
  options: { duration: { type: 'string' }, interval: { type: 'string' }, json: { type: 'boolean' }, ...CONNECT_OPTIONS },
  async run(io, values) {
    const duration = seconds(values.duration, 'duration');
    const interval = seconds(values.interval, 'interval');
    if (interval !== undefined && interval <= 0) throw new UsageError('--interval must be greater than 0');
    const opened = await openSession(io, values, []);
    if (typeof opened === 'number') return opened;
    try {
      return await watch(io, opened, { duration, interval, json: values.json === true });
    } finally {
      await opened.pool.closeAll();
    }
  },
};

function seconds(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number of seconds, got "${String(v)}"`);
  return n;
}

/** Human form of one event. */
export function formatEvent(e: FailoverEvent): string {
  const t = e.at.replace(/^.*T/, '').replace(/Z$/, '');
  if (e.event === 'lease_acquired' || e.event === 'lease_watching') return `${t}  ${e.reason}`;
  const who = e.instance_id ? `${e.instance_id}@${e.node}` : e.node;
  return `${t}  ${e.event.padEnd(17)} ${who}${e.to_node ? ` → ${e.to_node}` : ''}  ${e.reason}`;
}

async function watch(io: CliIO, o: OpenedSession, flags: { duration: number | undefined; interval: number | undefined; json: boolean }): Promise<number> {
  const { session, pool, ws } = o;
  const cluster = session.cluster;
  const monitor = new HealthMonitor({
    nodes: cluster.nodes,
    pool,
    ...(cluster.health ? { health: cluster.health } : {}),
    ...(flags.interval !== undefined ? { intervalMs: flags.interval * 1000 } : {}),
    workDir: (n) => nodeWorkDir(cluster, n, ws.rootDir),
  });
  const fo = new FailoverController({ session, monitor, owner: 'clusterlab monitor' });
  fo.on('event', (e) => io.out(flags.json ? JSON.stringify(e) + '\n' : formatEvent(e) + '\n'));
  if (!flags.json) {
    const iv = flags.interval ?? cluster.health?.interval_seconds ?? DEFAULT_HEALTH.interval_seconds;
    io.out(`Monitoring ${cluster.nodes.length} node(s) every ${iv} s${flags.duration !== undefined ? ` for ${flags.duration} s` : ''}; Ctrl-C stops watching (the runs keep going).\n`);
  }
  const { reattached, active } = await fo.start();
  if (!flags.json) io.out(`Reattached to ${reattached.length} of ${active.length} active run(s).\n`);
  await sleepUnlessAborted(flags.duration !== undefined ? flags.duration * 1000 : undefined, io.signal);
  await fo.stop();
  if (!flags.json) io.out('Stopped monitoring; the runs keep going. "clusterlab status" shows them.\n');
  return EXIT_OK;
}
