// Reattach: compare the local run records with what each node reports about its run
// directories and work out the new statuses. Pure: the caller gathers the observations
// (src/remote/process/inspect.ts) and saves the records.
//
//   node unreachable                      → lost (and back to running when it is reachable again)
//   exit_code file present                → exited (0) or failed (non-zero)
//   pid alive, no exit_code               → running
//   pid gone, no exit_code                → crashed (killed, OOM, node rebooted)
//   run directory missing on the node     → crashed
import { isTerminal, statusForExitCode, transition } from './stateMachine';
import type { NodeObservation, ObservedRun, RunChange, RunRecord, RunStatus } from './types';
import type { NodeHealth } from '../health/types';

export interface ReconcileResult {
  /** Every record, changed or not, in the input order. */
  records: RunRecord[];
  changes: RunChange[];
}

export function reconcile(records: readonly RunRecord[], observations: Readonly<Record<string, NodeObservation>>, now: string): ReconcileResult {
  const changes: RunChange[] = [];
  const out = records.map((r) => {
    const next = reconcileOne(r, observations[r.node], now);
    if (next !== r) changes.push({ run_id: r.run_id, instance_id: r.instance_id, node: r.node, from: r.status, to: next.status, reason: next.transitions[next.transitions.length - 1]?.reason ?? '' });
    return next;
  });
  return { records: out, changes };
}

/** The record after one observation (the same object when nothing changed). */
export function reconcileOne(r: RunRecord, obs: NodeObservation | undefined, now: string): RunRecord {
  if (isTerminal(r.status) || obs === undefined) return r;
  if (!obs.reachable) {
    if (r.status === 'lost') return r;
    if (r.status === 'planned' || r.status === 'deploying') return r;
    return transition(r, 'lost', `node ${r.node} unreachable: ${obs.reason}`, now);
  }
  const seen: ObservedRun | undefined = obs.runs[r.run_id];
  if (!seen && obs.partial) return r;
  if (!seen || !seen.present) {
    // Not started yet, or being started right now (the run dir appears as the start proceeds).
    if (r.status === 'planned' || r.status === 'deploying' || r.status === 'starting') return r;
    return transition(r, 'crashed', `run directory is missing on node ${r.node}`, now);
  }
  if (seen.exit_code !== undefined) {
    const to: RunStatus = r.stop_requested_at ? 'stopped' : statusForExitCode(seen.exit_code);
    const via = r.status === 'planned' || r.status === 'deploying' ? transition(r, 'starting', 'found started on the node', now) : r;
    return transition(via, to, `${r.stop_requested_at ? 'stopped on request; ' : ''}process ended with exit code ${seen.exit_code}`, now, { exit_code: seen.exit_code, ended_at: seen.ended_at ?? now, pid: seen.pid, pgid: seen.pgid });
  }
  if (seen.alive) {
    if (r.status === 'running') return r;
    const via = r.status === 'planned' || r.status === 'deploying' ? transition(r, 'starting', 'found started on the node', now) : r;
    const reason = r.status === 'lost' ? `node ${r.node} reachable again; process still running` : `process running (pid ${seen.pid ?? '?'})`;
    return transition(via, 'running', reason, now, { pid: seen.pid, pgid: seen.pgid, started_at: r.started_at ?? seen.started_at });
  }
  const via = r.status === 'planned' || r.status === 'deploying' ? transition(r, 'starting', 'found started on the node', now) : r;
  if (r.stop_requested_at) return transition(via, 'stopped', 'stopped on request; process is gone (killed by SIGKILL after the grace period)', now);
  return transition(via, 'crashed', 'process is gone without an exit code (killed by SIGKILL, out of memory, or the node rebooted)', now);
}

/**
 * An observation from a health probe (NodeHealth.runs, see src/remote/probe.ts), so a monitor
 * that probes anyway can reconcile without another exec. Partial: runs the probe did not list
 * (another work dir) are left alone, and so are runs whose pid is gone without an exit code
 * (the probe looks at the pid only; the wrapper may be about to write the exit code, so only
 * ClusterSession.reconcile, which checks the whole process group, concludes "crashed").
 * An `unavailable` node without run data counts as unreachable.
 */
export function observationFromHealth(h: NodeHealth): NodeObservation {
  if (h.status === 'unavailable' && !h.runs) return { reachable: false, reason: h.reason ?? 'node unavailable' };
  const runs: Record<string, ObservedRun> = {};
  for (const p of h.runs ?? []) {
    if (!p.alive && p.exit_code === undefined) continue;
    runs[p.run_id] = { run_id: p.run_id, present: true, alive: p.alive, ...(p.pid !== undefined ? { pid: p.pid } : {}), ...(p.exit_code !== undefined ? { exit_code: p.exit_code } : {}) };
  }
  return { reachable: true, runs, partial: true };
}
