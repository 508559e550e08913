// The dashboard's view model: pure functions from what the extension knows (cluster config, last
// health probes, run records, the placement allocation) to what the webview shows. The RAM
// allocation numbers come from the same resource report as `clusterlab report --json`.
import type { ClusterFile, NodeConfig } from '../config/schema';
import type { NodeHealth } from '../health/types';
import type { ExistingAllocation } from '../placement/types';
import type { RunRecord, RunStatus } from '../runs/types';
import type { DashboardNodeStatus, InstanceRow, NodeSeries, NodeView } from './protocol';
import { allocationReport } from './report';

export interface DashboardInputs {
  cluster: Pick<ClusterFile, 'cluster' | 'nodes'>;
  /** Last probe per node (nodes never probed are simply missing). */
  health: NodeHealth[];
  /** Run records of this workspace (all of them; finished ones show in the instance table). */
  runs: RunRecord[];
  /** Instances holding resources on a node (what `clusterlab report` counts). */
  allocations: ExistingAllocation[];
}

/** Run statuses that hold a node's resources. */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['planned', 'deploying', 'starting', 'running'];

const round = (v: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
const finite = (v: number | undefined): number | undefined => (v !== undefined && Number.isFinite(v) && v >= 0 ? v : undefined);

export function nodeViews(inputs: DashboardInputs): NodeView[] {
  const report = allocationReport(inputs);
  const byName = new Map(report.nodes.map((r) => [r.name, r]));
  const health = new Map(inputs.health.map((h) => [h.name, h]));
  return inputs.cluster.nodes.map((n) => nodeView(n, health.get(n.name), byName.get(n.name)));
}

function nodeView(n: NodeConfig, h: NodeHealth | undefined, r: ReturnType<typeof allocationReport>['nodes'][number] | undefined): NodeView {
  const status: DashboardNodeStatus = n.status === 'maintenance' ? 'maintenance' : (h?.status ?? 'unknown');
  const cores = h?.cpu_count ?? n.cpu_cores;
  const load = finite(h?.load_1m);
  const view: NodeView = {
    name: n.name,
    type: n.type,
    status,
    gpu_capable: n.gpu,
    instances: r?.instances ?? 0,
    max_instances: r?.max_instances ?? n.max_instances,
    ram: {
      total_gb: r?.ram_total_gb ?? n.ram_gb,
      allocated_gb: r?.ram_allocated_gb ?? 0,
      utilization_percent: r?.ram_utilization_percent ?? 0,
    },
    cpu: {},
    disk: {},
    warnings: (h?.warnings ?? []).slice(0, 50),
  };
  if (n.host !== undefined) view.host = n.host;
  if (h?.reason) view.reason = h.reason;
  if (finite(h?.ram_used_gb) !== undefined) view.ram.used_gb = round(h!.ram_used_gb!);
  if (finite(h?.ram_total_gb) !== undefined) view.ram.measured_total_gb = round(h!.ram_total_gb!);
  if (cores !== undefined && cores > 0) view.cpu.cores = cores;
  if (load !== undefined) {
    view.cpu.load_1m = round(load);
    if (cores) view.cpu.load_per_core = round(load / cores, 3);
  }
  const g = h?.gpu;
  if (g || n.gpu) {
    view.gpu = {};
    if (g?.name) view.gpu.name = g.name.slice(0, 200);
    if (finite(g?.memory_used_gb) !== undefined) view.gpu.memory_used_gb = round(g!.memory_used_gb!);
    const gt = finite(g?.memory_total_gb) ?? finite(n.gpu_memory_gb);
    if (gt !== undefined) view.gpu.memory_total_gb = round(gt);
    if (finite(g?.utilization_percent) !== undefined) view.gpu.utilization_percent = Math.min(100, round(g!.utilization_percent!, 1));
    if (g?.temperature_c !== undefined && Number.isFinite(g.temperature_c)) view.gpu.temperature_c = round(g.temperature_c, 1);
  }
  if (finite(h?.disk_free_gb) !== undefined) view.disk.free_gb = round(h!.disk_free_gb!);
  if (finite(h?.disk_total_gb) !== undefined) view.disk.total_gb = round(h!.disk_total_gb!);
  if (h?.temperature_c !== undefined && Number.isFinite(h.temperature_c)) view.temperature_c = round(h.temperature_c, 1);
  if (h?.probed_at) view.probed_at = h.probed_at.slice(0, 64);
  return view;
}

const ms = (iso: string | undefined): number | undefined => {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) && t >= 0 ? t : undefined;
};

/** The instance table: one row per run record, newest first. */
export function instanceRows(runs: readonly RunRecord[]): InstanceRow[] {
  const rows = runs.map((r): InstanceRow => {
    const row: InstanceRow = { run_id: r.run_id, instance_id: r.instance_id, node: r.node, status: r.status, restarts: r.restart_count };
    const s = ms(r.started_at);
    const e = ms(r.ended_at);
    if (s !== undefined) row.started_at = s;
    if (e !== undefined) row.ended_at = e;
    if (r.exit_code !== undefined && Number.isInteger(r.exit_code)) row.exit_code = r.exit_code;
    return row;
  });
  return rows.sort((a, b) => (b.started_at ?? Infinity) - (a.started_at ?? Infinity) || a.instance_id.localeCompare(b.instance_id));
}

/** Uptime in whole seconds at `at` (epoch ms): until the run ended, or until now while active. */
export function uptimeSeconds(row: InstanceRow, at: number): number | undefined {
  if (row.started_at === undefined) return undefined;
  const end = row.ended_at ?? at;
  return Math.max(0, Math.floor((end - row.started_at) / 1000));
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '–';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** One history point of one node, in percent (null where nothing was measured). */
export interface HistoryPoint {
  ram_used_percent: number | null;
  ram_allocated_percent: number | null;
  load_percent: number | null;
  gpu_util_percent: number | null;
}

export function historyPoint(v: NodeView): HistoryPoint {
  const total = v.ram.measured_total_gb ?? v.ram.total_gb;
  return {
    ram_used_percent: v.ram.used_gb !== undefined && total > 0 ? round((100 * v.ram.used_gb) / total, 1) : null,
    ram_allocated_percent: v.ram.total_gb > 0 ? round((100 * v.ram.allocated_gb) / v.ram.total_gb, 1) : null,
    load_percent: v.cpu.load_per_core !== undefined ? round(100 * v.cpu.load_per_core, 1) : null,
    gpu_util_percent: v.gpu?.utilization_percent ?? null,
  };
}

export const SERIES_KEYS = ['ram_used_percent', 'ram_allocated_percent', 'load_percent', 'gpu_util_percent'] as const;

/**
 * A per-node history over the session: a ring of at most `capacity` samples. Nodes that appear
 * later get nulls for the earlier samples; nodes that go away keep their past.
 */
export class HistoryRing {
  private t: number[] = [];
  private series = new Map<string, NodeSeries>();

  constructor(private cap: number) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`history capacity must be a whole number ≥ 1, got ${cap}`);
  }

  get capacity(): number {
    return this.cap;
  }

  get length(): number {
    return this.t.length;
  }

  push(at: number, nodes: readonly NodeView[]): void {
    this.t.push(at);
    const seen = new Set<string>();
    for (const v of nodes) {
      seen.add(v.name);
      let s = this.series.get(v.name);
      if (!s) {
        const pad = (): (number | null)[] => new Array<number | null>(this.t.length - 1).fill(null);
        s = { node: v.name, ram_used_percent: pad(), ram_allocated_percent: pad(), load_percent: pad(), gpu_util_percent: pad() };
        this.series.set(v.name, s);
      }
      const p = historyPoint(v);
      for (const k of SERIES_KEYS) s[k].push(p[k]);
    }
    for (const [name, s] of this.series) if (!seen.has(name)) for (const k of SERIES_KEYS) s[k].push(null);
    this.trim();
  }

  /** Change the capacity (e.g. the sampling interval changed); keeps the newest samples. */
  resize(cap: number): void {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`history capacity must be a whole number ≥ 1, got ${cap}`);
    this.cap = cap;
    this.trim();
  }

  toJSON(): { capacity: number; t: number[]; series: NodeSeries[] } {
    return {
      capacity: this.cap,
      t: [...this.t],
      series: [...this.series.values()].map((s) => ({
        node: s.node,
        ram_used_percent: [...s.ram_used_percent],
        ram_allocated_percent: [...s.ram_allocated_percent],
        load_percent: [...s.load_percent],
        gpu_util_percent: [...s.gpu_util_percent],
      })),
    };
  }

  private trim(): void {
    const extra = this.t.length - this.cap;
    if (extra <= 0) return;
    this.t.splice(0, extra);
    for (const s of this.series.values()) for (const k of SERIES_KEYS) s[k].splice(0, extra);
  }
}

/** How many samples the session keeps: about `hours` of history at the sampling interval. */
export function historyCapacity(samplingSeconds: number, hours = 2): number {
  return Math.max(60, Math.min(10_000, Math.ceil((hours * 3600) / Math.max(1, samplingSeconds))));
}
