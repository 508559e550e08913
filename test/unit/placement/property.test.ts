// Properties: no plan ever breaks a hard constraint, and on small inputs the engine's plan is as
// good as the best one brute force finds, under the engine's own objective (evaluateAssignment).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkHardConstraints, compareObjective, evaluateAssignment, plan, type Objective, type PlacementInput } from '../../../src/core/placement';
import { DEFAULT_WEIGHTS } from '../../../src/core/config/schema';
import type { NodeStatus } from '../../../src/core/health/types';
import { inst, node } from './helpers';

const nodeArb = fc.record({
  ram: fc.constantFrom(4, 8, 16, 32, 64),
  reserve: fc.constantFrom(0, 1, 4),
  gpu: fc.boolean(),
  gpuMem: fc.option(fc.constantFrom(4, 8, 16), { nil: undefined }),
  max: fc.integer({ min: 1, max: 3 }),
  status: fc.constantFrom<NodeStatus>('healthy', 'healthy', 'healthy', 'degraded', 'unavailable', 'maintenance'),
  load: fc.option(fc.constantFrom(0, 0.5, 1.5), { nil: undefined }),
});
const instArb = fc.record({
  ram: fc.constantFrom(1, 2, 3, 4, 6, 8, 12, 20),
  gpuReq: fc.boolean(),
  gpuPref: fc.boolean(),
  gpuMem: fc.option(fc.constantFrom(2, 4, 8), { nil: undefined }),
  pref: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  aff: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 2 }),
  anti: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 2 }),
});

type NodeGen = typeof nodeArb extends fc.Arbitrary<infer T> ? T : never;
type InstGen = typeof instArb extends fc.Arbitrary<infer T> ? T : never;

function build(nodes: NodeGen[], insts: InstGen[], pinSeed: number[]): PlacementInput {
  const ns = nodes.map((n, k) => node({ name: `n${k}`, ram_gb: n.ram, reserved_ram_gb: Math.min(n.reserve, n.ram - 1), gpu: n.gpu, ...(n.gpu && n.gpuMem ? { gpu_memory_gb: n.gpuMem } : {}), max_instances: n.max }));
  const ids = insts.map((_, k) => `i${k}`);
  const is = insts.map((i, k) =>
    inst({
      instance_id: ids[k],
      ram_gb: i.ram,
      gpu_required: i.gpuReq,
      gpu_preferred: i.gpuPref,
      ...(i.gpuMem ? { gpu_memory_gb: i.gpuMem } : {}),
      ...(i.pref !== undefined && i.pref < ns.length ? { preferred_node: ns[i.pref]!.name } : {}),
      affinity: i.aff.filter((j) => j < ids.length && j !== k).map((j) => ids[j]),
      anti_affinity: i.anti.filter((j) => j < ids.length && j !== k).map((j) => ids[j]),
    }),
  );
  const status: Record<string, NodeStatus> = {};
  const load: Record<string, number> = {};
  nodes.forEach((n, k) => {
    status[`n${k}`] = n.status;
    if (n.load !== undefined) load[`n${k}`] = n.load;
  });
  const pins: Record<string, string> = {};
  pinSeed.forEach((p, k) => {
    if (k < is.length && p < ns.length) pins[ids[k]!] = ns[p]!.name;
  });
  return { nodes: ns, instances: is, weights: DEFAULT_WEIGHTS, status, load, pins };
}

function bruteForce(inp: PlacementInput): Objective {
  const ids = inp.instances.map((i) => i.instance_id);
  const names = inp.nodes.map((n) => n.name);
  let best: Objective | undefined;
  // Pins are fixed, taken in input order, each kept when valid with the pins kept before it.
  const a: Record<string, string> = {};
  for (const id of ids) {
    const pinned = inp.pins?.[id];
    if (!pinned) continue;
    a[id] = pinned;
    if (!evaluateAssignment(inp, a).valid) delete a[id];
  }
  const rec = (k: number): void => {
    if (k === ids.length) {
      const e = evaluateAssignment(inp, a);
      if (e.valid && (!best || compareObjective(e.objective, best) > 0)) best = e.objective;
      return;
    }
    const id = ids[k]!;
    const pinned = inp.pins?.[id];
    if (pinned) {
      rec(k + 1); // fixed (kept at its pin) or rejected (unplaced) above
      return;
    }
    for (const n of names) {
      a[id] = n;
      rec(k + 1);
    }
    delete a[id];
    rec(k + 1);
  };
  rec(0);
  return best!;
}

test('no plan ever breaks a hard constraint; every unplaced instance has a reason per node', () => {
  fc.assert(
    fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 6 }), fc.array(instArb, { minLength: 0, maxLength: 14 }), fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 3 }), (nodes, insts, pinSeed) => {
      const inp = build(nodes, insts, pinSeed);
      const r = plan(inp);
      const assignment = Object.fromEntries(r.placements.map((p) => [p.instance_id, p.node]));
      const e = evaluateAssignment(inp, assignment);
      assert.deepEqual(e.violations, []);
      assert.equal(r.placements.length + r.unplaced.length, inp.instances.length);
      for (const u of r.unplaced) {
        assert.deepEqual(Object.keys(u.reasons).sort(), inp.nodes.map((n) => n.name).sort());
        for (const why of Object.values(u.reasons)) assert.doesNotMatch(why, /not chosen/);
      }
      for (const p of r.placements) assert.ok(p.score >= 0 && p.score <= 100.0001, `score ${p.score}`);
    }),
    { numRuns: 300, seed: 42 },
  );
});

test('on small inputs the engine finds a plan as good as brute force (same objective)', () => {
  fc.assert(
    fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 3 }), fc.array(instArb, { minLength: 1, maxLength: 5 }), fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 2 }), (nodes, insts, pinSeed) => {
      const inp = build(nodes, insts, pinSeed);
      const r = plan(inp);
      assert.equal(r.exact, true);
      const got = evaluateAssignment(inp, Object.fromEntries(r.placements.map((p) => [p.instance_id, p.node])));
      assert.equal(got.valid, true);
      const best = bruteForce(inp);
      assert.equal(compareObjective(got.objective, best), 0, `engine ${JSON.stringify(got.objective)} vs brute force ${JSON.stringify(best)}`);
    }),
    { numRuns: 250, seed: 7 },
  );
});

test('the heuristic path (big inputs) still never breaks a hard constraint', () => {
  fc.assert(
    fc.property(fc.array(nodeArb, { minLength: 20, maxLength: 40 }), fc.array(instArb, { minLength: 60, maxLength: 120 }), (nodes, insts) => {
      const inp = build(nodes, insts, []);
      const r = plan(inp);
      const e = evaluateAssignment(inp, Object.fromEntries(r.placements.map((p) => [p.instance_id, p.node])));
      assert.deepEqual(e.violations, []);
    }),
    { numRuns: 15, seed: 3 },
  );
});

test('compact explanations equal the full ones minus the breakdowns; every reason is the hard-constraint text', () => {
  fc.assert(
    fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 6 }), fc.array(instArb, { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 3 }), (nodes, insts, pinSeed) => {
      const inp = build(nodes, insts, pinSeed);
      const full = plan(inp, { explanationDetail: 'full' });
      const compact = plan(inp, { explanationDetail: 'compact' });
      assert.equal(full.explanation_detail, 'full');
      assert.equal(compact.explanation_detail, 'compact');
      assert.deepEqual(compact.placements, full.placements);
      assert.deepEqual(compact.unplaced, full.unplaced);
      const assignment = Object.fromEntries(full.placements.map((p) => [p.instance_id, p.node]));
      full.explanations.forEach((ex, k) => {
        const cx = compact.explanations[k]!;
        assert.equal(cx.instance_id, ex.instance_id);
        assert.equal(ex.options.length, inp.nodes.length);
        ex.options.forEach((o, n) => {
          const c = cx.options[n]!;
          assert.equal(c.node, o.node);
          assert.equal(c.feasible, o.feasible);
          assert.equal(c.reason, o.reason);
          assert.equal(c.score, o.score);
          if (o.node === ex.chosen) assert.deepEqual(c.breakdown, o.breakdown);
          else assert.equal(c.breakdown, undefined);
          // The shared-text fast path says exactly what the general check says.
          const v = checkHardConstraints(inp, assignment, ex.instance_id, o.node);
          if (o.node !== ex.chosen) assert.equal(o.reason, v.length ? v.join('; ') : undefined);
        });
      });
    }),
    { numRuns: 200, seed: 11 },
  );
});
