// Hysteresis for node liveness. A node becomes UNAVAILABLE only after K consecutive failed probes
// spanning at least T seconds, and counts as reachable again only after M consecutive successes.
// Pure: the caller feeds probe outcomes with their times.

export interface LivenessPolicy {
  /** K: consecutive failures before a node is marked unavailable. */
  failuresBeforeUnavailable: number;
  /** T: the failures must span at least this many milliseconds. */
  minFailureMs: number;
  /** M: consecutive successes before an unavailable node is reachable again. */
  successesBeforeHealthy: number;
}

export type Liveness = 'unknown' | 'up' | 'suspect' | 'down' | 'recovering';

export interface LivenessState {
  liveness: Liveness;
  consecutiveFailures: number;
  firstFailureAt?: number;
  consecutiveSuccesses: number;
  lastReason?: string;
  /** When the node was marked down (ms). */
  downSince?: number;
}

export interface LivenessChange {
  state: LivenessState;
  /** Set when the node crossed into or out of 'down' with this observation. */
  transition?: 'went_down' | 'came_back';
}

export const INITIAL_LIVENESS: LivenessState = { liveness: 'unknown', consecutiveFailures: 0, consecutiveSuccesses: 0 };

/**
 * `at` is when the probe's outcome was known; `startedAt` (optional, default `at`) when that probe
 * began: a run of failures spans from the start of its first failed probe, so K probes sent T
 * apart always span T even when the first one took longer to fail than the last.
 */
export function observeProbe(prev: LivenessState, ok: boolean, at: number, policy: LivenessPolicy, reason?: string, startedAt: number = at): LivenessChange {
  if (ok) {
    const successes = prev.consecutiveSuccesses + 1;
    if (prev.liveness === 'down' || prev.liveness === 'recovering') {
      if (successes >= policy.successesBeforeHealthy) {
        return { state: { liveness: 'up', consecutiveFailures: 0, consecutiveSuccesses: successes }, transition: 'came_back' };
      }
      return { state: { ...prev, liveness: 'recovering', consecutiveFailures: 0, firstFailureAt: undefined, consecutiveSuccesses: successes } };
    }
    return { state: { liveness: 'up', consecutiveFailures: 0, consecutiveSuccesses: successes } };
  }
  const failures = prev.consecutiveFailures + 1;
  const firstFailureAt = prev.consecutiveFailures > 0 && prev.firstFailureAt !== undefined ? prev.firstFailureAt : Math.min(startedAt, at);
  if (prev.liveness === 'down') {
    return { state: { ...prev, consecutiveFailures: failures, firstFailureAt, consecutiveSuccesses: 0, lastReason: reason ?? prev.lastReason } };
  }
  if (prev.liveness === 'recovering') {
    // A failure while recovering sends it straight back down: it never came back.
    return { state: { ...prev, liveness: 'down', consecutiveFailures: failures, firstFailureAt, consecutiveSuccesses: 0, lastReason: reason ?? prev.lastReason } };
  }
  const spanOk = at - firstFailureAt >= policy.minFailureMs;
  if (failures >= policy.failuresBeforeUnavailable && spanOk) {
    return {
      state: { liveness: 'down', consecutiveFailures: failures, firstFailureAt, consecutiveSuccesses: 0, lastReason: reason, downSince: at },
      transition: 'went_down',
    };
  }
  return { state: { liveness: 'suspect', consecutiveFailures: failures, firstFailureAt, consecutiveSuccesses: 0, lastReason: reason } };
}

/** Whether placement and failover should treat the node as unavailable. */
export function isDown(s: LivenessState): boolean {
  return s.liveness === 'down' || s.liveness === 'recovering';
}
