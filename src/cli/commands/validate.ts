// clusterlab validate: checks the cluster file and experiment files and prints a summary, or one
// line per problem (FILE:LINE:COL: error|warning: message).
import { EXIT_OK, EXIT_PROBLEM, UsageError, type CliCommand, type CliIO, type ParsedValues } from '../command';
import { hasErrors, type Diagnostic } from '../../core/config/diagnostics';
import type { WorkspaceModel } from '../../core/config/validate';
import { loadWorkspace, printDiagnostics } from '../workspace';

function fmtNum(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(2)));
}

function summary(model: WorkspaceModel): string[] {
  const lines = [`Cluster: ${model.cluster.cluster.name}`, `Nodes: ${model.cluster.nodes.length}`];
  for (const n of model.cluster.nodes) {
    const host = n.host ?? (n.type === 'host' ? 'localhost' : '?');
    const extra = n.status === 'maintenance' ? ', maintenance' : '';
    lines.push(`  • ${n.name}: ${host} (${fmtNum(n.ram_gb)}GB RAM, ${n.gpu ? 'GPU' : 'CPU'}, max ${n.max_instances} instances${extra})`);
  }
  lines.push(`Instances: ${model.instances.length}`);
  for (const i of model.instances) {
    const parts = [`${fmtNum(i.ram_gb)}GB RAM`];
    if (i.gpu_required) parts.push('GPU required');
    else if (i.gpu_preferred) parts.push('GPU preferred');
    if (i.preferred_node) parts.push(`prefers ${i.preferred_node}`);
    if (i.affinity.length) parts.push(`affinity ${i.affinity.join(', ')}`);
    if (i.anti_affinity.length) parts.push(`anti-affinity ${i.anti_affinity.join(', ')}`);
    lines.push(`  • ${i.instance_id} (${parts.join(', ')}) from ${model.instanceSource[i.instance_id] ?? '?'}`);
  }
  return lines;
}

function jsonDiagnostic(d: Diagnostic) {
  return {
    file: d.file,
    severity: d.severity,
    code: d.code,
    message: d.message,
    line: d.range.start.line + 1,
    column: d.range.start.character + 1,
    endLine: d.range.end.line + 1,
    endColumn: d.range.end.character + 1,
  };
}

function stringList(v: ParsedValues[string]): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'Check the cluster file and experiment files',
  usage: ['validate [--cluster FILE] [--experiments FILE...] [--json] [--strict]'],
  help: [
    'Options:',
    '  --experiments FILE...  experiment files to check (repeatable; files listed after it are',
    '                         taken too). Default: experiments/**/*.{yaml,yml,json} next to the',
    '                         cluster file.',
    '  --json                 print {"valid", "diagnostics", "nodes", "instances"} as JSON',
    '  --strict               count warnings as problems (exit 1)',
    '',
    'Prints one line per problem: FILE:LINE:COL: error|warning: message (1-based).',
    'Exit status: 0 when there is no error (warnings are printed but do not fail, unless',
    '--strict), 1 when there is an error, 2 for a usage error.',
  ].join('\n'),
  options: {
    experiments: { type: 'string', multiple: true, short: 'e' },
    json: { type: 'boolean' },
    strict: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(io: CliIO, values: ParsedValues, positionals: string[]): Promise<number> {
    const experiments = stringList(values.experiments);
    if (positionals.length > 0 && experiments.length === 0) {
      throw new UsageError(`unexpected argument "${positionals[0]}"; experiment files go after --experiments`);
    }
    experiments.push(...positionals);
    const cluster = typeof values.cluster === 'string' ? values.cluster : undefined;
    if (values.cluster !== undefined && !cluster) throw new UsageError('--cluster needs a file name');
    const ws = await loadWorkspace(io, { cluster, experiments, defaultExperiments: experiments.length === 0 });
    const errors = hasErrors(ws.diagnostics);
    const failed = errors || (values.strict === true && ws.diagnostics.length > 0);
    if (values.json) {
      const out = {
        valid: !failed,
        diagnostics: ws.diagnostics.map(jsonDiagnostic),
        nodes: ws.model?.cluster.nodes ?? [],
        instances: ws.model?.instances.map((i) => ({ ...i, source: ws.model?.instanceSource[i.instance_id] })) ?? [],
      };
      io.out(JSON.stringify(out, null, 2) + '\n');
      return failed ? EXIT_PROBLEM : EXIT_OK;
    }
    printDiagnostics(io, ws.diagnostics, 'out');
    if (ws.model && !failed) {
      io.out(summary(ws.model).join('\n') + '\n');
      const w = ws.diagnostics.length;
      io.out(w ? `✓ valid, with ${w} warning${w === 1 ? '' : 's'}\n` : '✓ Configuration is valid\n');
      return EXIT_OK;
    }
    const nErr = ws.diagnostics.filter((d) => d.severity === 'error').length;
    const nWarn = ws.diagnostics.length - nErr;
    io.err(`✗ ${nErr} error${nErr === 1 ? '' : 's'}, ${nWarn} warning${nWarn === 1 ? '' : 's'}${!errors ? ' (--strict: warnings count)' : ''}\n`);
    return EXIT_PROBLEM;
  },
};
