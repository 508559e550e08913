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
  /** What to do about `reason` (e.g. "Run ssh-keygen -R ... if the change is expected"). */
  hint?: string;
  /** Time to open a new connection, when this check opened one (absent when it was reused). */
  connect_ms?: number;
  /** Path df measured (the work dir or its nearest existing parent). */
  disk_path?: string;
  /** All GPUs when there are several; `gpu` is the first. */
  gpus?: GpuInfo[];
}

export interface HealthReport {
  nodes: NodeHealth[];
}

/** What one probe measured, before it is judged against the node's config (see assess.ts). */
export interface ProbeMeasurements {
  /** Probe format version printed by the script; undefined when the header is missing. */
  version?: number;
  /** The end marker was seen: the output is not truncated. */
  complete: boolean;
  memory?: MemoryInfo;
  load?: LoadAverage;
  cpu_count?: number;
  arch?: string;
  disk?: DiskInfo;
  /** Every GPU reported (nvidia-smi prints one line per GPU); `gpu` is the first. */
  gpus: GpuInfo[];
  temperature_c?: number;
  temperature_source?: 'vcgencmd' | 'tegrastats' | 'thermal_zone';
  /** vcgencmd get_throttled value, e.g. "0x50000". */
  throttled?: string;
  /** Human descriptions of the throttled bits, e.g. "under-voltage has occurred". */
  throttled_flags?: string[];
  runs: ProbedRun[];
  /** What could not be parsed or looked wrong (never thrown). */
  warnings: string[];
}

export interface MemoryInfo {
  total_kb: number;
  available_kb?: number;
  free_kb?: number;
  swap_total_kb?: number;
  swap_free_kb?: number;
}

export interface LoadAverage {
  load_1m: number;
  load_5m: number;
  load_15m: number;
  running?: number;
  total_tasks?: number;
}

export interface DiskInfo {
  /** The path df measured (the work dir or its nearest existing parent). */
  path?: string;
  filesystem: string;
  total_kb: number;
  used_kb: number;
  available_kb: number;
  mount: string;
}
