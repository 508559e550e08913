// Node health as measured by a probe. Pure data; parsing lives beside it in src/core/health.
export const NODE_STATUSES = ['healthy', 'degraded', 'unavailable', 'maintenance'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export interface GpuInfo {
  name?: string;
  memory_total_gb?: number;
  memory_used_gb?: number;
  utilization_percent?: number;
  temperature_c?: number;
  source: 'nvidia-smi' | 'tegrastats';
}

export interface ProbedRun {
  run_id: string;
  pid?: number;
  alive: boolean;
  exit_code?: number;
}

export interface NodeHealth {
  name: string;
  host: string;
  status: NodeStatus;
  /** Why the node is not healthy, e.g. "host key changed (known_hosts line 3)". */
  reason?: string;
  ram_total_gb?: number;
  ram_used_gb?: number;
  ram_available_gb?: number;
  load_1m?: number;
  load_5m?: number;
  load_15m?: number;
  cpu_count?: number;
  disk_free_gb?: number;
  disk_total_gb?: number;
  arch?: string;
  gpu?: GpuInfo;
  temperature_c?: number;
  throttled?: string;
  runs?: ProbedRun[];
  /** Config/measurement mismatches, e.g. "declares 64 GB RAM, reports 7.6 GB". */
  warnings: string[];
  probed_at: string;
  latency_ms?: number;
}

export interface HealthReport {
  nodes: NodeHealth[];
}
