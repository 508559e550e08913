// The search's incremental objective (moveDelta, from per-node aggregates) must equal the change
// of the full objective for every move, or the search would optimise something else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildModel, feasible, State } from '../../../src/core/placement/model';
import { moveDelta } from '../../../src/core/placement/search';
import { objectiveOf } from '../../../src/core/placement/score';
import { DEFAULT_WEIGHTS } from '../../../src/core/config/schema';
import { inst, node } from './helpers';

test('moveDelta equals the change of objectiveOf for every move (degraded, avoid, running, affinity)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ ram: fc.constantFrom(8, 16, 64), gpu: fc.boolean(), max: fc.integer({ min: 1, max: 4 }), degraded: fc.boolean() }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.record({ ram: fc.integer({ min: 1, max: 8 }), gpu: fc.boolean(), aff: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 2 }), pref: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), at: fc.integer({ min: -1, max: 3 }) }), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      (ns, is, running) => {
        const nodes = ns.map((n, k) => node({ name: `n${k}`, ram_gb: n.ram, gpu: n.gpu, max_instances: n.max }));
        const ids = is.map((_, k) => `i${k}`);
        const instances = is.map((x, k) => inst({ instance_id: ids[k], ram_gb: x.ram, gpu_preferred: x.gpu, affinity: x.aff.filter((j) => j < ids.length && j !== k).map((j) => ids[j]), ...(x.pref !== undefined && x.pref < nodes.length ? { preferred_node: `n${x.pref}` } : {}) }));
        const status = Object.fromEntries(ns.map((n, k) => [`n${k}`, n.degraded ? ('degraded' as const) : ('healthy' as const)]));
        const existing = running ? [{ instance: inst({ instance_id: 'old', ram_gb: 1, affinity: [ids[0]] }), node: 'n0' }] : [];
        const m = buildModel({ nodes, instances, weights: DEFAULT_WEIGHTS, status, existing, avoid: { [ids[0]!]: ['n0'] } });
        const s = new State(m);
        for (let k = 0; k < m.existingCount; k++) s.assign(k, m.pin[k]!);
        is.forEach((x, k) => {
          const i = k + m.existingCount;
          if (x.at >= 0 && x.at < nodes.length && feasible(m, s, i, x.at)) s.assign(i, x.at);
        });
        for (let i = m.existingCount; i < m.inst.length; i++) {
          for (let to = -1; to < nodes.length; to++) {
            const before = objectiveOf(m, s);
            const d = moveDelta(m, s, i, to);
            const from = s.at[i]!;
            if (from >= 0) s.unassign(i);
            if (to >= 0) s.assign(i, to);
            const after = objectiveOf(m, s);
            if (to >= 0) s.unassign(i);
            if (from >= 0) s.assign(i, from);
            assert.equal(d.placed, after.placed - before.placed);
            assert.equal(d.degraded, after.degraded - before.degraded);
            assert.ok(Math.abs(d.total - (after.total - before.total)) < 1e-9, `move i${i} ${from}->${to}: delta ${d.total}, objective ${after.total - before.total}`);
          }
        }
      },
    ),
    { numRuns: 300, seed: 5 },
  );
});
