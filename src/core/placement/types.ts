// Placement input and output. The JSON shape of `clusterlab plan --json` is PlanResult.
import type { InstanceConfig, NodeConfig, PlacementWeights } from '../config/schema';
import type { NodeStatus } from '../health/types';

export const SCORE_TERMS = ['resource_efficiency', 'load_balancing', 'gpu_preference', 'affinity', 'preferred_node'] as const;
export type ScoreTerm = (typeof SCORE_TERMS)[number];
export type ScoreBreakdown = Record<ScoreTerm, number>;

export interface ExistingAllocation {
  instance: InstanceConfig;
  node: string;
}

export interface PlacementInput {
  nodes: NodeConfig[];
  instances: InstanceConfig[];
  weights: PlacementWeights;
  /** Node statuses; a node missing here is healthy unless its config says maintenance. */
  status?: Record<string, NodeStatus>;
  /** Measured load per node (load average / cores), for load_balancing. */
  load?: Record<string, number>;
  /** Instances already running, never moved. */
  existing?: ExistingAllocation[];
  /** Manual pins: instance id -> node. */
  pins?: Record<string, string>;
  /** Nodes to penalise (e.g. the node an instance just failed on). */
  avoid?: Record<string, string[]>;
}

export interface Placement {
  instance_id: string;
  node: string;
  score: number;
  breakdown: ScoreBreakdown;
  manual?: boolean;
  /** Points taken off the breakdown's sum (DEGRADED node, or a node to avoid). */
  penalty?: number;
}

export interface Unplaced {
  instance_id: string;
  reasons: Record<string, string>;
}

export interface NodeOption {
  node: string;
  feasible: boolean;
  score?: number;
  breakdown?: ScoreBreakdown;
  reason?: string;
  /** Points taken off the breakdown's sum (DEGRADED node, or a node to avoid). */
  penalty?: number;
}

export interface InstanceExplanation {
  instance_id: string;
  chosen?: string;
  options: NodeOption[];
}

export interface PlanResult {
  placements: Placement[];
  unplaced: Unplaced[];
  explanations: InstanceExplanation[];
  total_score: number;
  exact: boolean;
  /**
   * 'full': every feasible option in `explanations` has its breakdown. 'compact' (big plans):
   * feasible alternatives give node and score only; the chosen node keeps its breakdown and
   * impossible nodes their reason.
   */
  explanation_detail?: 'full' | 'compact';
  /** Manual pins that broke a hard constraint (those instances are in `unplaced`). */
  pin_errors?: { instance_id: string; node: string; reasons: string[] }[];
}
