// clusterlab report: the seed's resource report (per node: instances, RAM allocated / total /
// utilisation, GPU), from the plan of the given experiments plus instances already running.
import { EXIT_OK, type CliCommand, type CliIO, type ParsedValues } from '../command';
import { ClusterLabError } from '../../core/errors';
import { plan, resourceReport, type ExistingAllocation, type ResourceReport } from '../../core/placement';
import { loadForPlacement, placementInput, runningAllocations } from './plan';

function table(r: ResourceReport): string {
  const head = ['node', 'status', 'instances', 'RAM allocated', 'util %', 'GPU'];
  const rows = r.nodes.map((n) => [n.name, n.status, `${n.instances}/${n.max_instances}`, `${n.ram_allocated_gb} / ${n.ram_total_gb} GB`, String(n.ram_utilization_percent), n.gpu ? 'yes' : 'no']);
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k]!.length)));
  const fmt = (row: string[]) => row.map((c, k) => c.padEnd(widths[k]!)).join('  ').trimEnd();
  const lines = [`Resource report ${r.timestamp}: ${r.total_nodes} node(s), ${r.total_instances} instance(s)`, '', fmt(head), ...rows.map(fmt)];
  if (r.warnings.length) lines.push('', 'Warnings:', ...r.warnings.map((w) => `  ! ${w}`));
  return lines.join('\n') + '\n';
}

export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'Resource report: instances and RAM per node',
  usage: ['report [--cluster FILE] [--experiments FILE...] [--health FILE] [--json]'],
  help: [
    'Options:',
    '  --experiments FILE...  experiment files whose plan is counted (repeatable). Without it,',
    '                         only instances already running are counted.',
    '  --health FILE          node statuses (output of "clusterlab health --json", or a map',
    '                         {"<node>":"healthy|degraded|unavailable|maintenance"})',
    '  --json                 print {"timestamp","total_nodes","total_instances","nodes","warnings"}',
  ].join('\n'),
  options: {
    experiments: { type: 'string', multiple: true, short: 'e' },
    health: { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(io: CliIO, values: ParsedValues, positionals: string[]): Promise<number> {
    const loaded = await loadForPlacement(io, values, positionals, 'report', false);
    if (!loaded.ok) return loaded.code;
    const { model, health } = loaded;
    const existing: ExistingAllocation[] = await runningAllocations(loaded.rootDir, model.instances);
    let result;
    try {
      result = plan(placementInput(model, health, undefined, existing));
    } catch (e) {
      if (e instanceof ClusterLabError) {
        io.err(`clusterlab report: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
    const byId = new Map(model.instances.map((i) => [i.instance_id, i]));
    const allocations = result.placements.map((p) => ({ instance: byId.get(p.instance_id)!, node: p.node }));
    const report = resourceReport({ nodes: model.cluster.nodes, allocations, existing, unplaced: result.unplaced, now: new Date(), ...(health ? { status: health.status } : {}) });
    io.out(values.json ? JSON.stringify(report, null, 2) + '\n' : table(report));
    return EXIT_OK;
  },
};
