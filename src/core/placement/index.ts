// Placement: pure engine, used by `clusterlab plan`, `clusterlab report` and the extension.
export * from './types';
export { plan, type PlanOptions, evaluateAssignment, checkHardConstraints, scoreNode, type Assignment } from './plan';
export { explain } from './format';
export { parsePlacementSpec, type SpecError, type SpecResult } from './spec';
export { parseHealthInput, type HealthInput, type HealthInputResult } from './healthInput';
export { resourceReport, type ResourceReport, type ReportNode, type ReportAllocation } from './report';
export { compareObjective, type Objective } from './score';
export { EXACT_MAX_CELLS, type SearchOptions } from './search';
