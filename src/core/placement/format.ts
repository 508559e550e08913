// Human-readable plan: one table per instance listing every node with its score breakdown, or
// the reason it was impossible.
import type { PlanResult } from './types';

const num = (x: number | undefined): string => (x === undefined ? '' : String(Math.round(x * 100) / 100));

export function explain(result: PlanResult): string {
  const lines: string[] = [];
  const placed = result.placements.length;
  const total = placed + result.unplaced.length;
  lines.push(`Placement: ${placed} of ${total} instance(s) placed, total score ${num(result.total_score)} (${result.exact ? 'exact search: best possible plan' : 'heuristic search: valid plan, not proven best'})`);
  const byId = new Map(result.placements.map((p) => [p.instance_id, p]));
  for (const ex of result.explanations) {
    const p = byId.get(ex.instance_id);
    lines.push('');
    if (p) lines.push(`${ex.instance_id} -> ${p.node}  (score ${num(p.score)}${p.manual ? ', pinned with --placement' : ''})`);
    else lines.push(`${ex.instance_id} -> NOT PLACED`);
    const head = ['node', 'score', 'resource', 'load', 'gpu', 'affinity', 'preferred', 'penalty'];
    const rows: string[][] = [];
    const reasons: [string, string][] = [];
    for (const o of ex.options) {
      const mark = o.node === ex.chosen ? '* ' : '  ';
      if (!o.feasible) {
        reasons.push([mark + o.node, o.reason ?? 'impossible']);
        continue;
      }
      const b = o.breakdown;
      rows.push([mark + o.node, num(o.score), num(b?.resource_efficiency), num(b?.load_balancing), num(b?.gpu_preference), num(b?.affinity), num(b?.preferred_node), o.penalty ? `-${num(o.penalty)}` : '']);
    }
    const width = Math.max(...ex.options.map((o) => o.node.length + 2), 6);
    if (rows.length) {
      const widths = head.map((h, k) => Math.max(k === 0 ? width : h.length, ...rows.map((r) => r[k]!.length)));
      const fmt = (r: string[]) => '  ' + r.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ').trimEnd();
      lines.push(fmt(['  node', ...head.slice(1)]));
      for (const r of rows) lines.push(fmt(r));
    }
    for (const [n, why] of reasons) lines.push(`  ${n.padEnd(width)}  impossible: ${why}`);
  }
  if (result.pin_errors?.length) {
    lines.push('', 'Pins that break a hard constraint:');
    for (const e of result.pin_errors) lines.push(`  ${e.instance_id}:${e.node}: ${e.reasons.join('; ')}`);
  }
  if (result.unplaced.length) {
    lines.push('', `Not placed (${result.unplaced.length}):`);
    for (const u of result.unplaced) {
      lines.push(`  ${u.instance_id}`);
      for (const [node, why] of Object.entries(u.reasons)) lines.push(`    ${node}: ${why}`);
    }
  }
  return lines.join('\n') + '\n';
}
