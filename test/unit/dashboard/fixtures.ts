// Shared inputs for the dashboard tests: the seed's cluster (jetson / rpi1 / rpi2 / host) parsed
// through the real config schema, with the hive-cluster allocation.
import { clusterFileSchema, instanceSchema, type InstanceConfig } from '../../../src/core/config/schema';
import type { NodeHealth } from '../../../src/core/health/types';
import type { RunRecord } from '../../../src/core/runs/types';
import type { DashboardInputs } from '../../../src/core/dashboard/model';

export const cluster = clusterFileSchema.parse({
  cluster: { name: 'lab' },
  nodes: [
    { name: 'jetson', host: '192.168.1.100', type: 'jetson_orin', ram_gb: 64, gpu: true, gpu_memory_gb: 32, cpu_cores: 12, max_instances: 4, reserved_ram_gb: 4 },
    { name: 'rpi1', host: '192.168.1.101', type: 'raspberry_pi', ram_gb: 8, cpu_cores: 4, max_instances: 1, reserved_ram_gb: 1 },
    { name: 'rpi2', host: '192.168.1.102', type: 'raspberry_pi', ram_gb: 8, cpu_cores: 4, max_instances: 1, status: 'maintenance' },
    { name: 'ws', type: 'host', ram_gb: 32, cpu_cores: 8, max_instances: 2 },
  ],
});

export const inst = (id: string, ram: number, extra: Partial<InstanceConfig> = {}): InstanceConfig => instanceSchema.parse({ instance_id: id, ram_gb: ram, ...extra });

export const hive = [
  { instance: inst('hive_1', 12, { gpu_preferred: true }), node: 'jetson' },
  { instance: inst('hive_2', 12, { gpu_preferred: true }), node: 'jetson' },
  { instance: inst('hive_3', 12, { gpu_preferred: true }), node: 'jetson' },
  { instance: inst('hive_observer', 6), node: 'rpi1' },
];

export function health(name: string, over: Partial<NodeHealth> = {}): NodeHealth {
  return { name, host: name, status: 'healthy', warnings: [], probed_at: '2025-11-16T12:00:00.000Z', ...over };
}

export function run(id: string, node: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    run_id: `r-${id}`,
    instance_id: id,
    node,
    command: 'python3 experiment_runner.py',
    env: {},
    config_hash: 'abc',
    status: 'running',
    remote_work_dir: '/w',
    remote_run_dir: `/w/.clusterlab/runs/r-${id}`,
    log_path: `/w/.clusterlab/runs/r-${id}/out.log`,
    started_at: '2025-11-16T11:00:00.000Z',
    restart_count: 0,
    transitions: [],
    ...over,
  };
}

export function inputs(over: Partial<DashboardInputs> = {}): DashboardInputs {
  return {
    cluster,
    health: [
      health('jetson', { ram_total_gb: 61.4, ram_used_gb: 30.5, load_1m: 6, cpu_count: 12, disk_free_gb: 100, disk_total_gb: 250, gpu: { source: 'tegrastats', memory_total_gb: 61.4, memory_used_gb: 30.5, utilization_percent: 55, temperature_c: 48.5 } }),
      health('rpi1', { ram_total_gb: 7.9, ram_used_gb: 5.1, load_1m: 2, cpu_count: 4, disk_free_gb: 20, disk_total_gb: 64, temperature_c: 61.2 }),
      health('ws', { status: 'degraded', ram_total_gb: 31.2, ram_used_gb: 29.9, load_1m: 9.6, cpu_count: 8 }),
    ],
    runs: hive.map((a, i) => run(a.instance.instance_id, a.node, { started_at: `2025-11-16T11:0${i}:00.000Z` })),
    allocations: hive,
    ...over,
  };
}
