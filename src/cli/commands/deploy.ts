// clusterlab deploy: sync the deploy source to every node's remote_work_dir in parallel (delta by
// content hash, one tar stream per node). `type: host` nodes run in place unless
// deploy.host_mode is copy. Exit 0 when every node is deployed, 1 when any node failed.
import { EXIT_OK, EXIT_PROBLEM, UsageError, type CliCommand, type CliIO, type ParsedValues } from '../command';
import { CONNECT_HELP, CONNECT_OPTIONS, poolFromFlags } from '../connect';
import { displayPath, loadWorkspace, printDiagnostics } from '../workspace';
import { DEFAULT_DEPLOY, type NodeConfig } from '../../core/config/schema';
import { deploySourceDir, nodeWorkDir } from '../../core/runs/plan';
import { deployAll, type NodeDeployOutcome } from '../../remote/sync/deploy-all';
import type { DeployProgress } from '../../remote/sync/deploy';

function nodeNames(values: ParsedValues): string[] {
  const v = values.node;
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string').flatMap((s) => s.split(',')).filter(Boolean);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

function outcomeJson(o: NodeDeployOutcome): Record<string, unknown> {
  switch (o.status) {
    case 'deployed': {
      const r = o.result;
      return {
        node: o.node,
        status: r.dryRun ? 'planned' : 'deployed',
        remote_dir: r.remoteDir,
        files_sent: r.dryRun ? 0 : r.filesSent,
        bytes_sent: r.bytesSent,
        files_removed: r.dryRun ? 0 : r.filesRemoved,
        unchanged: r.unchanged,
        drifted_on_node: r.driftedOnNode,
        ...(r.dryRun ? { would_send: r.sent, would_remove: r.removed } : {}),
        duration_ms: r.durationMs,
      };
    }
    case 'in_place':
      return { node: o.node, status: 'in_place', remote_dir: o.dir, message: o.message };
    case 'failed':
      return { node: o.node, status: 'failed', error: o.what, fix: o.fix };
  }
}

function outcomeLine(o: NodeDeployOutcome, width: number): string {
  const name = o.node.padEnd(width);
  switch (o.status) {
    case 'deployed': {
      const r = o.result;
      if (r.dryRun) {
        const lines = [`  • ${name}  ${r.remoteDir}: would send ${r.sent.length} file(s), remove ${r.removed.length}, ${r.unchanged} unchanged`];
        for (const p of r.sent) lines.push(`      + ${JSON.stringify(p).slice(1, -1)}`);
        for (const p of r.removed) lines.push(`      - ${JSON.stringify(p).slice(1, -1)}`);
        return lines.join('\n');
      }
      const drift = r.driftedOnNode.length ? `, ${r.driftedOnNode.length} changed on the node restored` : '';
      return `  ✓ ${name}  ${r.remoteDir}: ${r.filesSent} file(s) sent (${formatBytes(r.bytesSent)}), ${r.filesRemoved} removed, ${r.unchanged} unchanged${drift} (${(r.durationMs / 1000).toFixed(1)} s)`;
    }
    case 'in_place':
      return `  ✓ ${name}  ${o.message}`;
    case 'failed':
      return `  ✗ ${name}  ${o.what}. ${o.fix}`;
  }
}

export const deployCommand: CliCommand = {
  name: 'deploy',
  summary: 'Sync the workspace (or deploy.source) to every node\'s remote_work_dir',
  usage: ['deploy [--cluster FILE] [--node NAME]... [--dry-run] [--json] [--concurrency N] [--accept-new-host-keys] [--known-hosts FILE] [--ssh-config FILE]'],
  help: [
    'Options:',
    '  --node NAME             only this node (repeatable, or comma-separated); a node in',
    '                          maintenance is only deployed when named here',
    '  --dry-run               show what would be sent and removed; change nothing',
    '  --json                  print {"source","nodes":[{"node","status","remote_dir","files_sent",',
    '                          "bytes_sent","files_removed","unchanged",...}]}',
    '  --concurrency N         nodes deployed at once (default 8)',
    CONNECT_HELP,
    '',
    'What is sent: every file under deploy.source (relative to the cluster file, default its',
    'folder) except deploy.exclude patterns, .gitignore and .clusterlabignore rules (nested ones',
    'too), .git/, .clusterlab/ and the run logs in logs/. Symbolic links are skipped with a',
    'warning. Only files whose',
    'content differs from what the node verifiably holds travel, in one tar stream per node; each',
    'is written under a temporary name and renamed into place. Files deployed before and since',
    'removed locally are deleted on the node; other files there (logs/, results) are left alone.',
    'A `type: host` node runs in place, unless deploy.host_mode is copy.',
  ].join('\n'),
  options: {
    node: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    concurrency: { type: 'string' },
    ...CONNECT_OPTIONS,
  },
  async run(io: CliIO, values: ParsedValues): Promise<number> {
    const clusterArg = typeof values.cluster === 'string' ? values.cluster : undefined;
    if (values.cluster !== undefined && !clusterArg) throw new UsageError('--cluster needs a file name');
    let concurrency = 8;
    if (values.concurrency !== undefined) {
      concurrency = Number(values.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency needs a whole number of 1 or more, got "${String(values.concurrency)}"`);
    }
    const wanted = nodeNames(values);
    const ws = await loadWorkspace(io, { cluster: clusterArg });
    const errors = ws.diagnostics.filter((d) => d.severity === 'error');
    if (!ws.model || errors.length) {
      printDiagnostics(io, errors.length ? errors : ws.diagnostics);
      io.err('✗ the cluster file has errors; fix them first (clusterlab validate)\n');
      return EXIT_PROBLEM;
    }
    const cluster = ws.model.cluster;
    const all = cluster.nodes;
    const unknown = wanted.filter((n) => !all.some((x) => x.name === n));
    if (unknown.length) throw new UsageError(`no node named ${unknown.map((n) => `"${n}"`).join(', ')} in the cluster file; nodes: ${all.map((n) => n.name).join(', ') || '(none)'}`);
    const nodes: NodeConfig[] = wanted.length ? all.filter((n) => wanted.includes(n.name)) : all.filter((n) => n.status !== 'maintenance');
    const skippedMaintenance = wanted.length ? [] : all.filter((n) => n.status === 'maintenance').map((n) => n.name);
    if (nodes.length === 0) {
      io.err(`clusterlab deploy: no node to deploy to; ${all.length ? 'every node is in maintenance (name one with --node)' : 'add nodes under `nodes:` in the cluster file'}\n`);
      return EXIT_PROBLEM;
    }
    const dc = cluster.deploy ?? DEFAULT_DEPLOY;
    const sourceDir = deploySourceDir(cluster, ws.rootDir);
    const dryRun = values['dry-run'] === true;
    const json = values.json === true;
    if (!json) io.out(`${dryRun ? 'Dry run: deploying' : 'Deploying'} ${displayPath(io, sourceDir)} to ${nodes.length} node(s)\n`);
    for (const n of skippedMaintenance) if (!json) io.out(`  - ${n}: in maintenance, skipped (name it with --node to deploy anyway)\n`);

    const live = io.interactive && !json;
    let lastDraw = 0;
    const state = new Map<string, DeployProgress>();
    const onProgress = live
      ? (p: DeployProgress) => {
          state.set(p.node, p);
          const now = Date.now();
          if (now - lastDraw < 200 && p.phase !== 'done') return;
          lastDraw = now;
          const parts = [...state.values()].map((s) => (s.phase === 'transfer' ? `${s.node} ${s.filesDone}/${s.filesTotal} files ${formatBytes(s.bytesDone)}/${formatBytes(s.bytesTotal)}` : `${s.node} ${s.phase}`));
          io.err(`\r\x1b[K  ${parts.join(' · ')}`.slice(0, 400));
        }
      : undefined;

    const pool = poolFromFlags(io, values, ws.rootDir);
    let outcomes: NodeDeployOutcome[];
    let skippedFiles: Array<{ path: string; why: string }> = [];
    try {
      const r = await deployAll(
        nodes.map((node) => ({ node, remoteDir: nodeWorkDir(cluster, node, ws.rootDir) })),
        pool,
        { sourceDir, exclude: dc.exclude, hostMode: dc.host_mode, concurrency, dryRun, signal: io.signal, ...(onProgress ? { onProgress } : {}) },
      );
      outcomes = r.outcomes;
      skippedFiles = r.prepared?.skipped ?? [];
    } finally {
      if (live) io.err('\r\x1b[K');
      await pool.closeAll();
    }
    const failed = outcomes.filter((o) => o.status === 'failed');
    if (json) {
      io.out(`${JSON.stringify({ source: sourceDir, dry_run: dryRun, nodes: outcomes.map(outcomeJson), skipped: skippedFiles }, null, 2)}\n`);
    } else {
      for (const s of skippedFiles) io.err(`warning: ${displayPath(io, `${sourceDir}/${s.path}`)}: ${s.why}\n`);
      const width = Math.max(...outcomes.map((o) => o.node.length));
      for (const o of outcomes) io.out(`${outcomeLine(o, width)}\n`);
      if (failed.length) io.out(`✗ ${failed.length} of ${outcomes.length} node(s) failed${failed.length < outcomes.length ? '; the others are deployed' : ''}\n`);
    }
    return failed.length ? EXIT_PROBLEM : EXIT_OK;
  },
};
