// clusterlab health: probes every node in parallel and prints the seed's table plus the measured
// figures, or JSON for `clusterlab plan --health FILE`. Exit 0 when every node is healthy.
import { EXIT_OK, EXIT_PROBLEM, UsageError, type CliCommand, type CliIO, type ParsedValues } from '../command';
import { CONNECT_HELP, CONNECT_OPTIONS, poolFromFlags } from '../connect';
import { loadWorkspace, printDiagnostics } from '../workspace';
import type { NodeConfig } from '../../core/config/schema';
import { DEFAULT_HEALTH } from '../../core/config/schema';
import { healthReportJson, renderHealthReport } from '../../core/health/report';
import type { NodeHealth } from '../../core/health/types';
import { checkAll } from '../../remote/healthCheck';
import { sleepUnlessAborted } from '../sleep';

function positiveNumber(values: ParsedValues, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} needs a number greater than 0, got "${String(v)}"`);
  return n;
}

function nodeNames(values: ParsedValues): string[] {
  const v = values.node;
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string').flatMap((s) => s.split(',')).filter(Boolean);
}


export const healthCommand: CliCommand = {
  name: 'health',
  summary: 'Check every node (RAM, load, disk, GPU, temperature, runs) in parallel',
  usage: ['health [--cluster FILE] [--json] [--watch SECONDS] [--node NAME]... [--timeout S] [--concurrency N] [--accept-new-host-keys] [--known-hosts FILE] [--ssh-config FILE]'],
  help: [
    'Options:',
    '  --json                  print {"nodes":[{"name","host","status","reason","ram_total_gb",',
    '                          "ram_used_gb",...}]}; `clusterlab plan --health FILE` reads it',
    '  --watch SECONDS         probe again every SECONDS (connections are reused) until Ctrl-C',
    '  --node NAME             only this node (repeatable, or comma-separated)',
    '  --timeout S             per-node timeout, connect + probe (default: health.timeout_seconds, 3)',
    '  --concurrency N         nodes probed at once (default: health.concurrency, 16)',
    CONNECT_HELP,
    '',
    'Statuses: healthy; degraded (over 90% RAM used, under 5% or 1 GB disk free at the work dir,',
    'or the probe script failed); unavailable (cannot connect, authenticate, host key refused,',
    'or no answer within the timeout); maintenance (status: maintenance in the cluster file).',
    'Exit status: 0 when every node is healthy, 1 otherwise, 2 for a usage error.',
  ].join('\n'),
  options: {
    json: { type: 'boolean' },
    watch: { type: 'string' },
    node: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    concurrency: { type: 'string' },
    ...CONNECT_OPTIONS,
  },
  async run(io: CliIO, values: ParsedValues): Promise<number> {
    const cluster = typeof values.cluster === 'string' ? values.cluster : undefined;
    if (values.cluster !== undefined && !cluster) throw new UsageError('--cluster needs a file name');
    const watch = positiveNumber(values, 'watch');
    const timeoutS = positiveNumber(values, 'timeout');
    const concurrency = positiveNumber(values, 'concurrency');
    const wanted = nodeNames(values);

    const ws = await loadWorkspace(io, { cluster });
    if (!ws.model) {
      printDiagnostics(io, ws.diagnostics);
      io.err('✗ the cluster file has errors; fix them first (clusterlab validate)\n');
      return EXIT_PROBLEM;
    }
    const errors = ws.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      printDiagnostics(io, errors);
      return EXIT_PROBLEM;
    }
    const all = ws.model.cluster.nodes;
    const unknown = wanted.filter((n) => !all.some((x) => x.name === n));
    if (unknown.length) throw new UsageError(`no node named ${unknown.map((n) => `"${n}"`).join(', ')} in the cluster file; nodes: ${all.map((n) => n.name).join(', ') || '(none)'}`);
    const nodes: NodeConfig[] = wanted.length ? all.filter((n) => wanted.includes(n.name)) : all;
    if (nodes.length === 0) {
      io.err('clusterlab health: the cluster file lists no nodes; add some under `nodes:`\n');
      return EXIT_PROBLEM;
    }

    const hc = ws.model.cluster.health ?? DEFAULT_HEALTH;
    const pool = poolFromFlags(io, values, ws.rootDir);
    const opts = {
      timeoutMs: (timeoutS ?? hc.timeout_seconds) * 1000,
      concurrency: concurrency ?? hc.concurrency,
      signal: io.signal,
      workDir: (n: NodeConfig) => n.remote_work_dir ?? (n.type === 'host' ? ws.rootDir : '~'),
      onResult: (h: NodeHealth) => {
        if (io.interactive && !values.json) io.err(`  ${h.name}: ${h.status}${h.latency_ms !== undefined ? ` (${h.latency_ms.toFixed(0)} ms)` : ''}\n`);
      },
    };
    let last: NodeHealth[] = [];
    try {
      for (let round = 0; ; round++) {
        last = await checkAll(nodes, pool, opts);
        if (io.signal.aborted && round > 0) break;
        if (values.json) io.out(watch ? `${JSON.stringify(JSON.parse(healthReportJson(last)))}\n` : `${healthReportJson(last)}\n`);
        else {
          if (watch) io.out(`${round > 0 ? '\n' : ''}${new Date().toISOString()}\n`);
          io.out(renderHealthReport(nodes, last));
        }
        if (!watch || io.signal.aborted) break;
        await sleepUnlessAborted(watch * 1000, io.signal);
        if (io.signal.aborted) break;
      }
    } finally {
      await pool.closeAll();
    }
    return last.every((h) => h.status === 'healthy') ? EXIT_OK : EXIT_PROBLEM;
  },
};
