// The run state machine: which status may follow which, and a pure `transition` that records
// every change with its time and reason. A run never leaves a terminal status; a restart is a new
// run record (restart_count + 1).
import { TERMINAL_STATUSES, type RunRecord, type RunStatus } from './types';

const NEXT: Record<RunStatus, readonly RunStatus[]> = {
  planned: ['deploying', 'starting', 'failed', 'stopped'],
  deploying: ['starting', 'failed', 'stopped'],
  starting: ['running', 'exited', 'failed', 'crashed', 'stopped', 'lost'],
  running: ['exited', 'failed', 'crashed', 'stopped', 'lost'],
  lost: ['running', 'exited', 'failed', 'crashed', 'stopped'],
  exited: [],
  failed: [],
  crashed: [],
  stopped: [],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return NEXT[from].includes(to);
}

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** The process may still be alive (or about to be): start must be refused, stop makes sense. */
export function isActive(status: RunStatus): boolean {
  return !isTerminal(status);
}

/** Status for a finished process: 0 → exited, anything else → failed. */
export function statusForExitCode(code: number): RunStatus {
  return code === 0 ? 'exited' : 'failed';
}

export interface TransitionExtra {
  exit_code?: number;
  ended_at?: string;
  started_at?: string;
  pid?: number;
  pgid?: number;
}

/**
 * A copy of `record` moved to `to`, with the transition appended. Throws on a transition the
 * state machine does not allow (a bug in the caller, never user input).
 */
export function transition(record: RunRecord, to: RunStatus, reason: string, at: string, extra: TransitionExtra = {}): RunRecord {
  if (!canTransition(record.status, to)) {
    throw new Error(`run ${record.run_id}: cannot go from ${record.status} to ${to}`);
  }
  const next: RunRecord = {
    ...record,
    ...definedOnly(extra),
    status: to,
    transitions: [...record.transitions, { at, from: record.status, to, reason }],
  };
  if (isTerminal(to) && !next.ended_at) next.ended_at = at;
  return next;
}

/** A new record in its first status, with that first transition recorded. */
export function initialRecord(base: Omit<RunRecord, 'status' | 'transitions'>, status: RunStatus, reason: string, at: string): RunRecord {
  return { ...base, status, transitions: [{ at, from: null, to: status, reason }] };
}

/** How the status reads for people: `exited(0)`, `failed(3)`, `running`. */
export function describeStatus(r: Pick<RunRecord, 'status' | 'exit_code'>): string {
  if ((r.status === 'exited' || r.status === 'failed' || r.status === 'stopped') && r.exit_code !== undefined) return `${r.status}(${r.exit_code})`;
  return r.status;
}

function definedOnly(extra: TransitionExtra): TransitionExtra {
  const out: TransitionExtra = {};
  for (const [k, v] of Object.entries(extra) as Array<[keyof TransitionExtra, string | number | undefined]>) {
    if (v !== undefined) (out as Record<string, string | number>)[k] = v;
  }
  return out;
}
