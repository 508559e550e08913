// The run model: one record per started instance, kept in .clusterlab/runs/ by the caller.
export const RUN_STATUSES = ['planned', 'deploying', 'starting', 'running', 'exited', 'failed', 'crashed', 'stopped', 'lost'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunTransition {
  at: string;
  from: RunStatus | null;
  to: RunStatus;
  reason: string;
}

export interface PlacementDecision {
  node: string;
  score: number;
  breakdown: Record<string, number>;
  manual: boolean;
}

export interface RunRecord {
  run_id: string;
  instance_id: string;
  node: string;
  command: string;
  env: Record<string, string>;
  config_hash: string;
  git_commit?: string;
  git_dirty?: boolean;
  placement?: PlacementDecision;
  status: RunStatus;
  exit_code?: number;
  pid?: number;
  pgid?: number;
  remote_work_dir: string;
  remote_run_dir: string;
  log_path: string;
  started_at?: string;
  ended_at?: string;
  restart_count: number;
  transitions: RunTransition[];
}
