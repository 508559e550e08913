// Builders for placement tests: nodes and instances through the real schema (defaults filled).
import { DEFAULT_WEIGHTS, instanceSchema, nodeSchema, type InstanceConfig, type NodeConfig } from '../../../src/core/config/schema';
import type { PlacementInput } from '../../../src/core/placement';

export const node = (o: Record<string, unknown>): NodeConfig => nodeSchema.parse(o);
export const inst = (o: Record<string, unknown>): InstanceConfig => instanceSchema.parse(o);

/** The seed's nodes (infrastructure-module.md "Node Configuration", cluster-setup-guide.md). */
export const jetson = node({ name: 'jetson', type: 'jetson_orin', ram_gb: 64, gpu: true, gpu_memory_gb: 64, cpu_cores: 12, max_instances: 4, reserved_ram_gb: 8 });
export const rpi1 = node({ name: 'rpi1', type: 'raspberry_pi', ram_gb: 8, cpu_cores: 4, max_instances: 1, reserved_ram_gb: 1 });
export const rpi2 = node({ name: 'rpi2', type: 'raspberry_pi', ram_gb: 8, cpu_cores: 4, max_instances: 1, reserved_ram_gb: 1 });
export const host = node({ name: 'host', type: 'host', ram_gb: 32, max_instances: 2 });

export function input(nodes: NodeConfig[], instances: InstanceConfig[], extra: Partial<PlacementInput> = {}): PlacementInput {
  return { nodes, instances, weights: DEFAULT_WEIGHTS, ...extra };
}

export function where(result: { placements: { instance_id: string; node: string }[] }): Record<string, string> {
  return Object.fromEntries(result.placements.map((p) => [p.instance_id, p.node]));
}
