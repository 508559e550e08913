// The health report as JSON (`clusterlab health --json`, read back by `clusterlab plan --health`)
// and as the table the CLI prints. Pure.
import { z } from 'zod';
import type { NodeConfig } from '../config/schema';
import { NODE_STATUSES, type NodeHealth } from './types';

/** JSON form: every NodeHealth field, with `reason` always present (null when healthy). */
export function healthReportJson(nodes: NodeHealth[]): string {
  const out = nodes.map((h) => {
    const { name, host, status, reason, ...rest } = h;
    return { name, host, status, reason: reason ?? null, ...rest };
  });
  return JSON.stringify({ nodes: out }, null, 2);
}

const gpuSchema = z.object({
  name: z.string().optional(),
  memory_total_gb: z.number().optional(),
  memory_used_gb: z.number().optional(),
  utilization_percent: z.number().optional(),
  temperature_c: z.number().optional(),
  source: z.enum(['nvidia-smi', 'tegrastats']),
});

/** Schema of one node in the JSON report (unknown extra fields are kept, for forward compatibility). */
export const nodeHealthSchema = z.looseObject({
  name: z.string().min(1),
  host: z.string(),
  status: z.enum(NODE_STATUSES),
  reason: z.string().nullable().optional(),
  ram_total_gb: z.number().optional(),
  ram_used_gb: z.number().optional(),
  ram_available_gb: z.number().optional(),
  load_1m: z.number().optional(),
  load_5m: z.number().optional(),
  load_15m: z.number().optional(),
  cpu_count: z.number().optional(),
  disk_free_gb: z.number().optional(),
  disk_total_gb: z.number().optional(),
  arch: z.string().optional(),
  gpu: gpuSchema.optional(),
  temperature_c: z.number().optional(),
  warnings: z.array(z.string()).default([]),
  probed_at: z.string().default(''),
  latency_ms: z.number().optional(),
});

export const healthReportSchema = z.object({ nodes: z.array(nodeHealthSchema) });

/** Read a health report written by `clusterlab health --json`. Throws a plain Error naming the problem. */
export function parseHealthReport(text: string): NodeHealth[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON (${e instanceof Error ? e.message : String(e)}); write it with "clusterlab health --json > FILE"`);
  }
  const r = healthReportSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`not a health report: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'invalid'}; write it with "clusterlab health --json > FILE"`);
  }
  return r.data.nodes.map((n) => {
    const { reason, ...rest } = n;
    const h = { ...rest } as NodeHealth;
    if (reason) h.reason = reason;
    return h;
  });
}

const num = (n: number | undefined, digits = 1) => (n === undefined ? '–' : n.toFixed(digits));

/** Rows of the health table: the seed's columns, then the measured ones. */
export function healthTableRows(nodes: NodeConfig[], results: NodeHealth[]): string[][] {
  const header = ['Node', 'Host', 'Status', 'RAM (GB)', 'GPU', 'Max Instances', 'RAM used/total', 'Load 1m', 'Disk free (GB)', 'GPU util/temp', 'Temp', 'Latency'];
  const rows = [header];
  for (const node of nodes) {
    const h = results.find((r) => r.name === node.name);
    if (!h) continue;
    const gpu = h.gpu;
    const gpuCell = gpu ? `${gpu.utilization_percent === undefined ? '–' : `${gpu.utilization_percent}%`}/${gpu.temperature_c === undefined ? '–' : `${gpu.temperature_c.toFixed(0)}°C`}` : '–';
    rows.push([
      node.name,
      h.host || '–',
      h.status,
      String(node.ram_gb),
      node.gpu ? '✓' : '✗',
      String(node.max_instances),
      h.ram_total_gb === undefined ? '–' : `${num(h.ram_used_gb)}/${num(h.ram_total_gb)}`,
      h.load_1m === undefined ? '–' : h.load_1m.toFixed(2),
      num(h.disk_free_gb),
      gpuCell,
      h.temperature_c === undefined ? '–' : `${h.temperature_c.toFixed(0)}°C`,
      h.latency_ms === undefined ? '–' : `${h.latency_ms.toFixed(0)} ms`,
    ]);
  }
  return rows;
}

/** A box-drawn table like the seed's `--health-check` output. */
export function renderTable(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - [...s].length));
  const line = (l: string, m: string, r: string, fill: string) => l + widths.map((w) => fill.repeat(w + 2)).join(m) + r;
  const row = (cells: string[], edge: string) => edge + cells.map((c, i) => ` ${pad(c, widths[i] ?? 0)} `).join(edge) + edge;
  const [head, ...body] = rows;
  const out = [line('┏', '┳', '┓', '━'), row(head ?? [], '┃'), line('┡', '╇', '┩', '━')];
  for (const r of body) out.push(row(r, '│'));
  out.push(line('└', '┴', '┘', '─'));
  return out.join('\n');
}

/** The full text report: title, table, reasons, warnings and a summary line. */
export function renderHealthReport(nodes: NodeConfig[], results: NodeHealth[]): string {
  const out = ['Cluster Health Check', '', renderTable(healthTableRows(nodes, results)), ''];
  for (const h of results) {
    if (h.status !== 'healthy' && h.reason) out.push(`${h.name}: ${h.status}: ${h.reason}${h.hint ? `. ${h.hint}` : ''}`);
  }
  for (const h of results) for (const w of h.warnings) out.push(`${h.name}: warning: ${w}`);
  const bad = results.filter((r) => r.status !== 'healthy').length;
  if (out[out.length - 1] !== '') out.push('');
  out.push(bad === 0 ? `✓ All ${results.length} nodes are healthy` : `✗ ${bad} of ${results.length} nodes are not healthy`);
  return out.join('\n') + '\n';
}
