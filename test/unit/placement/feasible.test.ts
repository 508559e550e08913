// Feasibility beyond the exact search: on random inputs built around a plan that is KNOWN to be
// valid (constructed first, then hidden by shuffling), the engine must place every instance.
// Nodes are filled close to their limits, so a placer that is only greedy fails often.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluateAssignment, plan } from '../../../src/core/placement';
import { planted, type Planted } from './planted';

function check(p: Planted): void {
  assert.deepEqual(evaluateAssignment(p.input, p.hidden).violations, [], 'the planted plan is valid');
  const r = plan(p.input, { explanations: false });
  const got = Object.fromEntries(r.placements.map((x) => [x.instance_id, x.node]));
  assert.deepEqual(evaluateAssignment(p.input, got).violations, []);
  assert.deepEqual(
    r.unplaced.map((u) => u.instance_id),
    [],
    `a valid plan exists (${p.input.instances.length} instances, ${p.input.nodes.length} nodes), the engine left some unplaced`,
  );
}

test('medium inputs (30-60 instances x 8-15 nodes) with a known valid plan: everything is placed', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.boolean(), (seed, pins) => check(planted(seed, [30, 60], [8, 15], { pins }))),
    { numRuns: 30, seed: 2024 },
  );
});

test('larger inputs (beyond the exact limit: 120-250 instances x 25-50 nodes) with a known valid plan: everything is placed', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => check(planted(seed, [120, 250], [25, 50]))),
    { numRuns: 15, seed: 99 },
  );
});
