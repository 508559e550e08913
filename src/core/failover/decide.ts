// Failover decisions. Pure: given the run records, what the monitor knows about each node, the
// placement inputs and the time, say what to do. The executor (src/remote/failover.ts) applies
// the actions through the session and records every transition.
//
//   live run on a node that went down          → mark_lost
//   lost run, policy restart                   → nothing: when the node is back, reconcile finds
//                                                it running (reattach) or crashed (then restart)
//   lost run on a node marked down, replace    → replace on a healthy node (plan() with every
//                                                constraint, the instances that stay, and a
//                                                penalty on the failed node), after the backoff
//   crashed / failed run, restart or replace   → restart on the same node once it is up, after
//                                                the backoff (replace moves it when its node is
//                                                down or degraded, or it failed there to start)
//   max_restarts used up                       → give_up (once)
//   an older copy of an instance still active  → stop_stale once its node is reachable, so two
//   on a node that is reachable again            copies never run
//
// Backoff: backoff_seconds before the first restart, doubled for each further one, counted from
// the moment the run was lost, crashed or failed.
import type { FailoverPolicy, InstanceConfig, NodeConfig, PlacementWeights } from '../config/schema';
import { DEFAULT_FAILOVER } from '../config/schema';
import type { NodeStatus } from '../health/types';
import { isDown, type LivenessState } from '../monitor/liveness';
import { plan } from '../placement/plan';
import type { ExistingAllocation } from '../placement/types';
import { isActive } from '../runs/stateMachine';
import type { RunRecord } from '../runs/types';

export type FailoverAction =
  | { kind: 'mark_lost'; run_id: string; instance_id: string; node: string; reason: string }
  | { kind: 'restart'; run_id: string; instance_id: string; node: string; attempt: number; resume: boolean; reason: string }
  | { kind: 'replace'; run_id: string; instance_id: string; from_node: string; node: string; score: number; attempt: number; resume: boolean; reason: string }
  | { kind: 'stop_stale'; run_id: string; instance_id: string; node: string; current_run_id: string; current_node: string; reason: string }
  | { kind: 'give_up'; run_id: string; instance_id: string; node: string; reason: string }
  | { kind: 'unplaceable'; run_id: string; instance_id: string; node: string; reason: string };

export interface FailoverInput {
  /** Every run record known (any age, any instance). */
  runs: readonly RunRecord[];
  /** What the monitor knows about each node; a node missing here counts as up. */
  liveness: Readonly<Record<string, LivenessState>>;
  nodes: readonly NodeConfig[];
  weights: PlacementWeights;
  /** Health statuses for placement (unavailable nodes are never chosen). */
  status?: Readonly<Record<string, NodeStatus>>;
  load?: Readonly<Record<string, number>>;
  /** Default policy when neither the instance nor its record has one (cluster `failover:`). */
  defaultPolicy?: FailoverPolicy;
  /** Current instance configs by id (override the config saved in the record). */
  instances?: Readonly<Record<string, InstanceConfig>>;
  /** Runs that ended (crashed/failed) before this time (ms) are history, not acted on. */
  failuresSince?: number;
  /** Run ids already given up on (give_up is said once). */
  gaveUp?: ReadonlySet<string>;
  now: number;
}

export interface FailoverDecision {
  actions: FailoverAction[];
  /** Earliest time (ms) a waiting restart becomes due, to schedule the next look. */
  nextDueAt?: number;
}

export function policyOf(instance: InstanceConfig | undefined, fallback: FailoverPolicy | undefined): FailoverPolicy {
  return instance?.failover ?? fallback ?? DEFAULT_FAILOVER;
}

/** Seconds to wait before restart number `attempt` (1-based). */
export function backoffSeconds(policy: FailoverPolicy, attempt: number): number {
  return policy.backoff_seconds * 2 ** Math.max(0, attempt - 1);
}

function when(r: RunRecord): number {
  const t = r.transitions[r.transitions.length - 1]?.at ?? r.ended_at ?? r.started_at;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : 0;
}

function started(r: RunRecord): string {
  return r.started_at ?? r.transitions[0]?.at ?? '';
}

/** Every record grouped by instance, oldest first; the last one is the instance's current run. */
export function byInstance(runs: readonly RunRecord[]): Map<string, RunRecord[]> {
  const m = new Map<string, RunRecord[]>();
  for (const r of runs) m.set(r.instance_id, [...(m.get(r.instance_id) ?? []), r]);
  for (const list of m.values()) list.sort((a, b) => started(a).localeCompare(started(b)) || a.restart_count - b.restart_count);
  return m;
}

export function decideFailover(input: FailoverInput): FailoverDecision {
  const actions: FailoverAction[] = [];
  let nextDueAt: number | undefined;
  const due = (t: number) => (nextDueAt = nextDueAt === undefined ? t : Math.min(nextDueAt, t));
  const down = (node: string) => {
    const l = input.liveness[node];
    return l !== undefined && isDown(l);
  };
  // Stale copies are stopped only on nodes that answer steadily (not down, not suspect).
  const steady = (node: string) => {
    const l = input.liveness[node];
    return l === undefined || l.liveness === 'up' || l.liveness === 'unknown';
  };
  const groups = byInstance(input.runs);
  // The instances that stay where they are: current live runs not being moved.
  const currentLive: RunRecord[] = [];
  for (const list of groups.values()) {
    const cur = list[list.length - 1]!;
    if (isActive(cur.status) && !(cur.status === 'lost' || down(cur.node))) currentLive.push(cur);
  }

  for (const [instanceId, list] of groups) {
    const cur = list[list.length - 1]!;
    // Older copies still active: stop them where their node answers again.
    for (const old of list.slice(0, -1)) {
      if (!isActive(old.status) || !steady(old.node)) continue;
      if (old.status === 'planned' || old.status === 'deploying') continue;
      actions.push({
        kind: 'stop_stale',
        run_id: old.run_id,
        instance_id: instanceId,
        node: old.node,
        current_run_id: cur.run_id,
        current_node: cur.node,
        reason: `node ${old.node} is reachable again; ${instanceId} now runs as ${cur.run_id} on ${cur.node}, so the old copy is stopped`,
      });
    }
    const instance = input.instances?.[instanceId] ?? cur.instance_config;
    const policy = policyOf(instance, input.defaultPolicy);

    if ((cur.status === 'running' || cur.status === 'starting') && down(cur.node)) {
      const why = input.liveness[cur.node]?.lastReason;
      actions.push({ kind: 'mark_lost', run_id: cur.run_id, instance_id: instanceId, node: cur.node, reason: `node ${cur.node} is unavailable${why ? `: ${why}` : ''}` });
      // Replacement is decided on the next look, once the record says lost.
      continue;
    }
    const failedNow = cur.status === 'crashed' || cur.status === 'failed';
    if (cur.status !== 'lost' && !failedNow) continue;
    if (policy.policy === 'none' || !instance) continue;
    // A run the user asked to stop is never brought back, whatever state the node left it in.
    if (cur.stop_requested_at) continue;
    if (failedNow && input.failuresSince !== undefined && when(cur) < input.failuresSince) continue;
    // A lost run under `restart` waits for its node: reconcile then finds it alive or crashed.
    if (cur.status === 'lost' && policy.policy === 'restart') continue;
    // One failed look is not a lost node: replace only once the monitor marks the node down.
    if (cur.status === 'lost' && !down(cur.node)) continue;

    const attempt = cur.restart_count + 1;
    if (attempt > policy.max_restarts) {
      if (!input.gaveUp?.has(cur.run_id)) {
        actions.push({ kind: 'give_up', run_id: cur.run_id, instance_id: instanceId, node: cur.node, reason: `${instanceId} ${cur.status} and max_restarts (${policy.max_restarts}) is used up; it is not restarted again` });
      }
      continue;
    }
    const dueAt = when(cur) + backoffSeconds(policy, attempt) * 1000;
    if (input.now < dueAt) {
      due(dueAt);
      continue;
    }
    const resume = policy.resume_command !== undefined;
    const neverStarted = cur.status === 'failed' && cur.pid === undefined;
    const moveIt = policy.policy === 'replace' && (cur.status === 'lost' || down(cur.node) || neverStarted || input.status?.[cur.node] === 'degraded');
    if (!moveIt) {
      if (down(cur.node)) continue; // restart on the same node once it is back
      actions.push({
        kind: 'restart',
        run_id: cur.run_id,
        instance_id: instanceId,
        node: cur.node,
        attempt,
        resume,
        reason: `${cur.status === 'crashed' ? 'crashed' : `failed${cur.exit_code !== undefined ? ` with exit code ${cur.exit_code}` : ''}`}; restart ${attempt} of ${policy.max_restarts} on ${cur.node}${resume ? ' with resume_command' : ''}`,
      });
      continue;
    }
    // Replace: plan again on the nodes that are up, around the instances that stay.
    const existing: ExistingAllocation[] = currentLive.filter((r) => r.instance_id !== instanceId).flatMap((r) => {
      const inst = input.instances?.[r.instance_id] ?? r.instance_config;
      return inst ? [{ instance: inst, node: r.node }] : [];
    });
    // Instances moved in this same pass take their share too.
    for (const a of actions) {
      if (a.kind !== 'replace') continue;
      const inst = input.instances?.[a.instance_id] ?? groups.get(a.instance_id)?.at(-1)?.instance_config;
      if (inst) existing.push({ instance: inst, node: a.node });
    }
    const status: Record<string, NodeStatus> = { ...input.status };
    for (const n of input.nodes) if (down(n.name)) status[n.name] = 'unavailable';
    const result = plan({
      nodes: [...input.nodes],
      instances: [instance],
      weights: input.weights,
      status,
      ...(input.load ? { load: { ...input.load } } : {}),
      existing,
      avoid: { [instanceId]: [cur.node] },
    });
    const p = result.placements.find((x) => x.instance_id === instanceId);
    if (!p) {
      const reasons = result.unplaced.find((u) => u.instance_id === instanceId)?.reasons ?? {};
      actions.push({
        kind: 'unplaceable',
        run_id: cur.run_id,
        instance_id: instanceId,
        node: cur.node,
        reason: `no healthy node can take ${instanceId}: ${Object.entries(reasons).map(([n, r]) => `${n}: ${r}`).join('; ') || 'no node is available'}`,
      });
      continue;
    }
    actions.push({
      kind: 'replace',
      run_id: cur.run_id,
      instance_id: instanceId,
      from_node: cur.node,
      node: p.node,
      score: p.score,
      attempt,
      resume,
      reason: `${cur.status === 'lost' ? `node ${cur.node} lost` : `${cur.status} on ${cur.node}`}; placed again on ${p.node} (score ${p.score.toFixed(1)}), attempt ${attempt} of ${policy.max_restarts}${resume ? ' with resume_command' : ''}`,
    });
  }
  return nextDueAt === undefined ? { actions } : { actions, nextDueAt };
}

/** Whether a record is history: terminal, or superseded by a newer run of its instance. */
export function isSuperseded(r: RunRecord, runs: readonly RunRecord[]): boolean {
  const list = byInstance(runs).get(r.instance_id) ?? [];
  return list.length > 0 && list[list.length - 1]!.run_id !== r.run_id;
}


/** Whether failover will still act on this run (a crash or failure with restarts left, or a lost run to replace). */
export function failoverPending(r: RunRecord, policy: FailoverPolicy): boolean {
  if (policy.policy === 'none' || r.stop_requested_at) return false;
  if (r.status !== 'crashed' && r.status !== 'failed' && r.status !== 'lost') return false;
  return r.restart_count < policy.max_restarts;
}
