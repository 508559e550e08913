// The seed's resource report: per node instances, RAM allocated/total/utilisation and GPU, with
// warnings for anything a person should look at.
import type { InstanceConfig, NodeConfig } from '../config/schema';
import type { NodeStatus } from '../health/types';
import { effectiveStatus } from './model';

export interface ReportNode {
  name: string;
  status: NodeStatus;
  instances: number;
  max_instances: number;
  ram_allocated_gb: number;
  ram_total_gb: number;
  ram_utilization_percent: number;
  gpu: boolean;
  /** Extra fields (not in the seed): what the numbers are made of. */
  instance_ids: string[];
  ram_reserved_gb: number;
  gpu_memory_allocated_gb?: number;
  gpu_memory_total_gb?: number;
}

export interface ResourceReport {
  timestamp: string;
  total_nodes: number;
  total_instances: number;
  nodes: ReportNode[];
  warnings: string[];
}

export interface ReportAllocation {
  instance: InstanceConfig;
  node: string;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * Builds the report. `allocations` are the planned placements; `existing` are instances already
 * running (from the run store) and count the same way. `unplaced` ids become warnings.
 */
export function resourceReport(args: {
  nodes: NodeConfig[];
  allocations: ReportAllocation[];
  existing?: ReportAllocation[];
  status?: Record<string, NodeStatus>;
  unplaced?: { instance_id: string }[];
  now: Date;
}): ResourceReport {
  const all = [...(args.existing ?? []), ...args.allocations];
  const warnings: string[] = [];
  const nodes: ReportNode[] = args.nodes.map((node) => {
    const here = all.filter((a) => a.node === node.name);
    const ram = here.reduce((acc, a) => acc + a.instance.ram_gb, 0);
    const gmem = here.reduce((acc, a) => acc + (a.instance.gpu_memory_gb ?? 0), 0);
    const status = effectiveStatus(node, args.status);
    const max = node.max_instances ?? 1;
    const reserved = node.reserved_ram_gb ?? 0;
    const r: ReportNode = {
      name: node.name,
      status,
      instances: here.length,
      max_instances: max,
      ram_allocated_gb: round2(ram),
      ram_total_gb: node.ram_gb,
      ram_utilization_percent: round2((ram / node.ram_gb) * 100),
      gpu: node.gpu === true,
      instance_ids: here.map((a) => a.instance.instance_id),
      ram_reserved_gb: reserved,
    };
    if (node.gpu) {
      r.gpu_memory_allocated_gb = round2(gmem);
      if (node.gpu_memory_gb !== undefined) r.gpu_memory_total_gb = node.gpu_memory_gb;
    }
    if (here.length > max) warnings.push(`${node.name}: ${here.length} instances, more than max_instances ${max}`);
    if (ram > node.ram_gb - reserved + 1e-9) warnings.push(`${node.name}: ${round2(ram)} GB allocated, more than the ${round2(node.ram_gb - reserved)} GB left after the ${reserved} GB reserve`);
    else if (ram / node.ram_gb > 0.9) warnings.push(`${node.name}: RAM ${round2((ram / node.ram_gb) * 100)}% allocated (over 90%: the node may turn DEGRADED)`);
    if (here.length && (status === 'unavailable' || status === 'maintenance')) warnings.push(`${node.name}: ${status} but has ${here.length} instance(s): ${r.instance_ids.join(', ')}`);
    if (status === 'degraded' && here.length) warnings.push(`${node.name}: degraded and running ${here.length} instance(s)`);
    return r;
  });
  for (const a of all) {
    if (!args.nodes.some((n) => n.name === a.node)) warnings.push(`instance ${a.instance.instance_id} is on "${a.node}", which is not in the cluster file`);
  }
  for (const u of args.unplaced ?? []) warnings.push(`instance ${u.instance_id} could not be placed (run "clusterlab plan" for the reasons)`);
  return { timestamp: args.now.toISOString(), total_nodes: args.nodes.length, total_instances: all.length, nodes, warnings };
}
