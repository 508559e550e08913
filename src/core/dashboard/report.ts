// The one place the dashboard gets its allocation numbers: `resourceReport` from the placement
// engine, the same function (and so the same numbers) as `clusterlab report --json`.
import type { ClusterFile } from '../config/schema';
import type { NodeHealth, NodeStatus } from '../health/types';
import type { ExistingAllocation } from '../placement/types';
import { resourceReport, type ResourceReport } from '../placement/report';

export interface AllocationReportInputs {
  cluster: Pick<ClusterFile, 'cluster' | 'nodes'>;
  health: NodeHealth[];
  allocations: ExistingAllocation[];
}

/** The resource report for the dashboard's inputs: allocations count as running ("existing"). */
export function allocationReport(inputs: AllocationReportInputs, now = new Date(0)): ResourceReport {
  const status: Record<string, NodeStatus> = {};
  for (const h of inputs.health) status[h.name] = h.status;
  return resourceReport({ nodes: inputs.cluster.nodes, allocations: [], existing: inputs.allocations, status, now });
}
