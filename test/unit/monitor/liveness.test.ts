import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INITIAL_LIVENESS, observeProbe, isDown, type LivenessPolicy, type LivenessState } from '../../../src/core/monitor/liveness';

const policy: LivenessPolicy = { failuresBeforeUnavailable: 2, minFailureMs: 2000, successesBeforeHealthy: 2 };

function feed(events: Array<[boolean, number]>, p = policy): { state: LivenessState; transitions: Array<[string, number]> } {
  let state = INITIAL_LIVENESS;
  const transitions: Array<[string, number]> = [];
  for (const [ok, at] of events) {
    const r = observeProbe(state, ok, at, p, ok ? undefined : 'connection refused');
    state = r.state;
    if (r.transition) transitions.push([r.transition, at]);
  }
  return { state, transitions };
}

test('one missed probe never flips a node', () => {
  const { state, transitions } = feed([[true, 0], [false, 2000], [true, 4000], [false, 6000], [true, 8000]]);
  assert.equal(state.liveness, 'up');
  assert.deepEqual(transitions, []);
});

test('K consecutive failures spanning T mark the node down', () => {
  const { state, transitions } = feed([[true, 0], [false, 2000], [false, 4000]]);
  assert.equal(state.liveness, 'down');
  assert.deepEqual(transitions, [['went_down', 4000]]);
  assert.equal(state.lastReason, 'connection refused');
});

test('K failures inside less than T do not mark the node down yet', () => {
  const { state, transitions } = feed([[true, 0], [false, 1000], [false, 1500]]);
  assert.equal(state.liveness, 'suspect');
  assert.deepEqual(transitions, []);
  const later = observeProbe(state, false, 3000, policy);
  assert.equal(later.transition, 'went_down');
});

test('a down node needs M successes to come back, and a failure while recovering sends it down again', () => {
  let { state } = feed([[false, 0], [false, 3000]]);
  assert.ok(isDown(state));
  let r = observeProbe(state, true, 5000, policy);
  assert.equal(r.state.liveness, 'recovering');
  assert.equal(r.transition, undefined);
  assert.ok(isDown(r.state));
  r = observeProbe(r.state, false, 7000, policy);
  assert.equal(r.state.liveness, 'down');
  assert.equal(r.transition, undefined, 'still down: no second went_down');
  state = r.state;
  r = observeProbe(state, true, 9000, policy);
  r = observeProbe(r.state, true, 11000, policy);
  assert.equal(r.state.liveness, 'up');
  assert.equal(r.transition, 'came_back');
});

test('defaults mark a lost node within 10 s when probes time out', () => {
  // interval 2 s, probe timeout 3 s: the node dies just after a good probe at t=0.
  const { transitions } = feed([[true, 0], [false, 5000], [false, 8000]]);
  assert.equal(transitions.length, 1);
  assert.ok(transitions[0]![1] <= 10000);
});
