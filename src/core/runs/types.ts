import type { InstanceConfig } from '../config/schema';
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

export interface RunRecord extends RunRecordExtras {
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
  /** Set when a user asked to stop the run, before the signal is sent: however it ends, it was stopped (never failed, crashed or restarted). */
  stop_requested_at?: string;
  transitions: RunTransition[];
}

// ---- additions (runs/process owner): observation, reconcile and event shapes ----

/** Statuses in which the process may still be alive on its node. */
export const ACTIVE_STATUSES: readonly RunStatus[] = ['planned', 'deploying', 'starting', 'running', 'lost'];
/** Statuses after which a run never changes again. */
export const TERMINAL_STATUSES: readonly RunStatus[] = ['exited', 'failed', 'crashed', 'stopped'];

/** What a node reports about one run directory (`<remote_work_dir>/.clusterlab/runs/<run_id>/`). */
export interface ObservedRun {
  run_id: string;
  /** false when the node has no such run directory. */
  present: boolean;
  pid?: number;
  pgid?: number;
  /** Whether the command (or anything in its process group) is still alive. */
  alive: boolean;
  exit_code?: number;
  started_at?: string;
  ended_at?: string;
}

/** What one node reported, or that it could not be reached. */
export type NodeObservation =
  | {
      reachable: true;
      runs: Record<string, ObservedRun>;
      /** Only some runs were looked at (e.g. from a health probe): a run not listed is left as it is, not crashed. */
      partial?: boolean;
    }
  | { reachable: false; reason: string };

/** One status change produced by reconcile or by an action (start/stop). */
export interface RunChange {
  run_id: string;
  instance_id: string;
  node: string;
  from: RunStatus;
  to: RunStatus;
  reason: string;
}

/** Optional run-record fields added by the runs module (all optional: old records stay valid). */
export interface RunRecordExtras {
  /** Size of the log file when this run started: its own output begins here. */
  log_start_offset?: number;
  /** The command template before substitution. */
  command_template?: string;
  /** Experiment config path given to the command. */
  experiment_config_path?: string;
  /** The instance as configured when it started (placement counts live runs with it). */
  instance_config?: InstanceConfig;
}
