// Start, stop and inspect runs on a node through a NodeConnection.
export { startRun, aliveRunsOfInstance, type StartSpec, type StartedRun } from './start';
export { stopRun, stopScript, type StopOutcome, type StopResult } from './stop';
export { inspectRuns, inspectScript, parseInspectOutput, type InspectedRun } from './inspect';
