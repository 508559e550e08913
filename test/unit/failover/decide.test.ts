// Failover decisions: lost, restart with backoff and max_restarts, replace honouring constraints
// and the instances that stay, stale copies, resume, history left alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_WEIGHTS, instanceSchema, nodeSchema, type InstanceConfig } from '../../../src/core/config/schema';
import { backoffSeconds, decideFailover, failoverPending, type FailoverInput } from '../../../src/core/failover/decide';
import { INITIAL_LIVENESS, observeProbe, type LivenessState } from '../../../src/core/monitor/liveness';
import { nextProbeAt } from '../../../src/core/monitor/schedule';
import type { RunRecord, RunStatus } from '../../../src/core/runs/types';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const nodes = ['a', 'b', 'c'].map((name) => nodeSchema.parse({ name, host: name, ram_gb: 8, max_instances: 2 }));
const inst = (id: string, failover: Record<string, unknown>, extra: Record<string, unknown> = {}): InstanceConfig => instanceSchema.parse({ instance_id: id, ram_gb: 1, failover, ...extra });

let seq = 0;
function rec(i: InstanceConfig, node: string, status: RunStatus, at: number, extra: Partial<RunRecord> = {}): RunRecord {
  seq++;
  return {
    run_id: `${i.instance_id}-${seq}`,
    instance_id: i.instance_id,
    node,
    command: 'x',
    env: {},
    config_hash: 'h',
    status,
    pid: 100,
    remote_work_dir: '/w',
    remote_run_dir: '/w/r',
    log_path: '/w/l',
    started_at: iso(at - 10_000),
    restart_count: 0,
    transitions: [{ at: iso(at), from: 'running', to: status, reason: 'test' }],
    instance_config: i,
    ...extra,
  };
}
const down: LivenessState = { liveness: 'down', consecutiveFailures: 2, consecutiveSuccesses: 0, downSince: T0, lastReason: 'timed out after 3 s' };
const up: LivenessState = { liveness: 'up', consecutiveFailures: 0, consecutiveSuccesses: 3 };
const input = (runs: RunRecord[], liveness: Record<string, LivenessState>, now: number, extra: Partial<FailoverInput> = {}): FailoverInput => ({ runs, liveness, nodes, weights: DEFAULT_WEIGHTS, now, ...extra });

describe('failover decisions', () => {
  it('a live run on a node that went down is marked lost, with the node and the reason', () => {
    const i = inst('x', { policy: 'replace' });
    const r = rec(i, 'a', 'running', T0);
    const d = decideFailover(input([r], { a: down, b: up }, T0 + 1000));
    assert.deepEqual(d.actions.map((a) => a.kind), ['mark_lost']);
    assert.match(d.actions[0]!.reason, /node a is unavailable: timed out after 3 s/);
  });

  it('a run the user asked to stop is never restarted or replaced, even if it ended as failed or lost', () => {
    const x = inst('x', { policy: 'restart', backoff_seconds: 0 });
    const y = inst('y', { policy: 'replace', backoff_seconds: 0 });
    const failed = rec(x, 'b', 'failed', T0, { stop_requested_at: iso(T0) });
    const lost = rec(y, 'a', 'lost', T0, { stop_requested_at: iso(T0) });
    assert.deepEqual(decideFailover(input([failed, lost], { a: down, b: up, c: up }, T0 + 5000)).actions, []);
    // The same runs without the request are acted on.
    const acted = decideFailover(input([{ ...failed, stop_requested_at: undefined }, { ...lost, stop_requested_at: undefined }], { a: down, b: up, c: up }, T0 + 5000)).actions;
    assert.equal(acted.length, 2);
  });

  it('replace: after the backoff, placed on a healthy node, never the down one, around the instances that stay', () => {
    const x = inst('x', { policy: 'replace', backoff_seconds: 2 }, { anti_affinity: ['y'] });
    const y = inst('y', { policy: 'none' });
    const lost = rec(x, 'a', 'lost', T0);
    const stay = rec(y, 'b', 'running', T0);
    assert.deepEqual(decideFailover(input([lost, stay], { a: down, b: up, c: up }, T0 + 1000)).actions, []);
    assert.equal(decideFailover(input([lost, stay], { a: down, b: up, c: up }, T0 + 1000)).nextDueAt, T0 + 2000);
    const d = decideFailover(input([lost, stay], { a: down, b: up, c: up }, T0 + 2000));
    assert.equal(d.actions.length, 1);
    const a = d.actions[0]!;
    assert.equal(a.kind, 'replace');
    // anti_affinity with y (on b) leaves c.
    assert.equal(a.kind === 'replace' && a.node, 'c');
    assert.equal(a.kind === 'replace' && a.attempt, 1);
  });

  it('replace: the node it failed on is penalised, and nothing fits → unplaceable with the reasons', () => {
    const x = inst('x', { policy: 'replace', backoff_seconds: 0 });
    const crashed = rec(x, 'b', 'failed', T0, { pid: undefined });
    const d = decideFailover(input([crashed], { a: up, b: up, c: up }, T0));
    assert.equal(d.actions[0]?.kind, 'replace');
    assert.notEqual(d.actions[0]?.kind === 'replace' && d.actions[0].node, 'b');
    const big = inst('big', { policy: 'replace', backoff_seconds: 0 }, { ram_gb: 100 });
    const d2 = decideFailover(input([rec(big, 'a', 'lost', T0)], { a: down, b: up, c: up }, T0));
    assert.equal(d2.actions[0]?.kind, 'unplaceable');
    assert.match(d2.actions[0]!.reason, /no healthy node can take big/);
  });

  it('restart: a lost run waits for its node; a crash restarts on the same node with doubling backoff, then gives up', () => {
    const x = inst('x', { policy: 'restart', backoff_seconds: 1, max_restarts: 2, resume_command: 'go --resume {checkpoint_dir}', checkpoint_dir: 'ck' });
    assert.deepEqual(decideFailover(input([rec(x, 'a', 'lost', T0)], { a: down }, T0 + 60_000)).actions, []);
    const c1 = rec(x, 'a', 'crashed', T0);
    assert.deepEqual(decideFailover(input([c1], { a: down }, T0 + 60_000)).actions, [], 'waits while the node is down');
    const d = decideFailover(input([c1], { a: up }, T0 + 1000));
    assert.equal(d.actions[0]?.kind, 'restart');
    assert.equal(d.actions[0]?.kind === 'restart' && d.actions[0].resume, true);
    assert.equal(d.actions[0]?.node, 'a');
    const c2 = rec(x, 'a', 'failed', T0, { restart_count: 1, exit_code: 3 });
    assert.deepEqual(decideFailover(input([c2], { a: up }, T0 + 1999)).actions, []);
    assert.equal(decideFailover(input([c2], { a: up }, T0 + 2000)).actions[0]?.kind, 'restart');
    assert.equal(backoffSeconds(x.failover!, 3), 4);
    const c3 = rec(x, 'a', 'failed', T0, { restart_count: 2 });
    const g = decideFailover(input([c3], { a: up }, T0 + 60_000));
    assert.equal(g.actions[0]?.kind, 'give_up');
    assert.deepEqual(decideFailover(input([c3], { a: up }, T0 + 60_000, { gaveUp: new Set([c3.run_id]) })).actions, [], 'said once');
    assert.equal(failoverPending(c2, x.failover!), true);
    assert.equal(failoverPending(c3, x.failover!), false);
  });

  it('none: nothing happens; exited 0 is never restarted; old failures are history', () => {
    const n = inst('n', { policy: 'none' });
    assert.deepEqual(decideFailover(input([rec(n, 'a', 'crashed', T0)], { a: up }, T0 + 60_000)).actions, []);
    const r = inst('r', { policy: 'restart', backoff_seconds: 0 });
    assert.deepEqual(decideFailover(input([rec(r, 'a', 'exited', T0, { exit_code: 0 })], { a: up }, T0 + 60_000)).actions, []);
    assert.deepEqual(decideFailover(input([rec(r, 'a', 'crashed', T0)], { a: up }, T0 + 60_000, { failuresSince: T0 + 1 })).actions, []);
  });

  it('stale copies: the old copy of a moved instance is stopped once its node answers again, not while it is down', () => {
    const x = inst('x', { policy: 'replace' });
    const old = rec(x, 'a', 'lost', T0);
    const cur = rec(x, 'b', 'running', T0 + 5000, { started_at: iso(T0 + 5000), restart_count: 1 });
    assert.deepEqual(decideFailover(input([old, cur], { a: down, b: up }, T0 + 9000)).actions, []);
    const recovering: LivenessState = { ...down, liveness: 'recovering', consecutiveSuccesses: 1 };
    assert.deepEqual(decideFailover(input([old, cur], { a: recovering, b: up }, T0 + 9000)).actions, []);
    const back: RunRecord = { ...old, status: 'running' };
    const d = decideFailover(input([back, cur], { a: up, b: up }, T0 + 9000));
    assert.deepEqual(d.actions.map((a) => [a.kind, a.node]), [['stop_stale', 'a']]);
  });
});

describe('probe schedule and hysteresis with the defaults', () => {
  it('next probe: one interval after the last start, never before the last end', () => {
    assert.equal(nextProbeAt(0, 5, 2000), 2000);
    assert.equal(nextProbeAt(0, 3000, 2000), 3000);
  });
  it('a node whose probes time out (3 s) every 2 s is down within 10 s, never after one failure', () => {
    const policy = { failuresBeforeUnavailable: 2, minFailureMs: 2000, successesBeforeHealthy: 2 };
    // Worst case: lost just after a good probe at t=0; probes then end at 2+3=5 s and 5+3=8 s.
    let s = observeProbe(INITIAL_LIVENESS, true, 0, policy).state;
    const one = observeProbe(s, false, 5000, policy);
    assert.equal(one.transition, undefined);
    s = one.state;
    const two = observeProbe(s, false, 8000, policy);
    assert.equal(two.transition, 'went_down');

  });
});
