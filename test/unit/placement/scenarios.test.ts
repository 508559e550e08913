// The seeds' documented placements, built from the seed numbers, and the greedy counterexample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { plan } from '../../../src/core/placement';
import { validateWorkspace } from '../../../src/core/config/validate';
import { DEFAULT_WEIGHTS } from '../../../src/core/config/schema';
import { inst, input, jetson, node, rpi1, rpi2, where } from './helpers';

test('split brain: A needs the GPU (jetson), B is anti-affine with A (rpi)', () => {
  const r = plan(input([jetson, rpi1], [inst({ instance_id: 'brain_A', ram_gb: 8, gpu_required: true }), inst({ instance_id: 'brain_B', ram_gb: 2, anti_affinity: ['brain_A'] })]));
  assert.deepEqual(where(r), { brain_A: 'jetson', brain_B: 'rpi1' });
  assert.equal(r.unplaced.length, 0);
  assert.equal(r.exact, true);
  const bOnJetson = r.explanations.find((e) => e.instance_id === 'brain_B')!.options.find((o) => o.node === 'jetson')!;
  assert.equal(bOnJetson.feasible, false);
  assert.match(bOnJetson.reason!, /anti-affinity with brain_A/);
});

test('split brain, documented manual placement is accepted as pinned', () => {
  const r = plan(input([jetson, rpi1], [inst({ instance_id: 'split_brain_001_brain_A', ram_gb: 8, gpu_required: true }), inst({ instance_id: 'split_brain_001_brain_B', ram_gb: 2 })], { pins: { split_brain_001_brain_A: 'jetson', split_brain_001_brain_B: 'rpi1' } }));
  assert.deepEqual(where(r), { split_brain_001_brain_A: 'jetson', split_brain_001_brain_B: 'rpi1' });
  assert.ok(r.placements.every((p) => p.manual));
});

test('hive cluster: three 12 GB GPU-preferring minds on the jetson, the 6 GB pessimist on the rpi', () => {
  const r = plan(
    input(
      [jetson, rpi1],
      [
        inst({ instance_id: 'historian', ram_gb: 12, gpu_preferred: true }),
        inst({ instance_id: 'critic', ram_gb: 12, gpu_preferred: true }),
        inst({ instance_id: 'optimist', ram_gb: 12, gpu_preferred: true }),
        inst({ instance_id: 'pessimist', ram_gb: 6 }),
      ],
    ),
  );
  assert.deepEqual(where(r), { historian: 'jetson', critic: 'jetson', optimist: 'jetson', pessimist: 'rpi1' });
  // Jetson 36/64 GB = 56 % sits in the 30-70 % band: full resource_efficiency.
  assert.equal(r.placements[0]!.breakdown.resource_efficiency, 30);
  assert.equal(r.exact, true);
});

test('panopticon: documented pins (subject on rpi1, observer on jetson) are honoured', () => {
  const subject = inst({ instance_id: 'panopticon_subject', ram_gb: 6, preferred_node: 'rpi1' });
  const observer = inst({ instance_id: 'panopticon_observer', ram_gb: 8, gpu_required: true, affinity: ['panopticon_subject'] });
  const r = plan(input([jetson, rpi1], [subject, observer], { pins: { panopticon_subject: 'rpi1', panopticon_observer: 'jetson' } }));
  assert.deepEqual(where(r), { panopticon_subject: 'rpi1', panopticon_observer: 'jetson' });
  const s = r.placements.find((p) => p.instance_id === 'panopticon_subject')!;
  assert.equal(s.breakdown.preferred_node, 10);
  // Only the subject pinned: the observer still has to go to the jetson (GPU required).
  const r2 = plan(input([jetson, rpi1], [subject, observer], { pins: { panopticon_subject: 'rpi1' } }));
  assert.deepEqual(where(r2), { panopticon_subject: 'rpi1', panopticon_observer: 'jetson' });
  // Automatic: the observer can only be on the jetson; the subject scores on rpi1 +10
  // (preferred_node) and +15 (CPU work off the GPU node), and the explanation shows both options.
  const auto = plan(input([jetson, rpi1], [subject, observer]));
  assert.equal(where(auto).panopticon_observer, 'jetson');
  const opts = auto.explanations.find((e) => e.instance_id === 'panopticon_subject')!.options;
  assert.equal(opts.find((o) => o.node === 'rpi1')!.breakdown!.preferred_node, 10);
  assert.equal(opts.find((o) => o.node === 'jetson')!.breakdown!.preferred_node, 0);
});

test('prisoners dilemma: two players on the two identical Pis, one each', () => {
  const players = [inst({ instance_id: 'player_a', ram_gb: 4, anti_affinity: ['player_b'] }), inst({ instance_id: 'player_b', ram_gb: 4 })];
  const auto = plan(input([rpi1, rpi2], players));
  assert.deepEqual(where(auto), { player_a: 'rpi1', player_b: 'rpi2' });
  assert.equal(auto.placements[0]!.score, auto.placements[1]!.score, 'identical hardware gives identical scores');
  const pinned = plan(input([rpi1, rpi2], players, { pins: { player_a: 'rpi1', player_b: 'rpi2' } }));
  assert.deepEqual(where(pinned), { player_a: 'rpi1', player_b: 'rpi2' });
  const swapped = plan(input([rpi1, rpi2], players, { pins: { player_b: 'rpi1' } }));
  assert.deepEqual(where(swapped), { player_a: 'rpi2', player_b: 'rpi1' });
});

test('A/B/C example (cluster-setup-guide.md): A jetson, B rpi1, C jetson', () => {
  const nodes = [jetson, rpi1, node({ name: 'host', type: 'host', ram_gb: 32, max_instances: 2 })];
  const r = plan(
    input(nodes, [
      inst({ instance_id: 'A', ram_gb: 8, gpu_required: true }),
      inst({ instance_id: 'B', ram_gb: 2, anti_affinity: ['A'] }),
      inst({ instance_id: 'C', ram_gb: 4, affinity: ['A'] }),
    ]),
  );
  assert.deepEqual(where(r), { A: 'jetson', B: 'rpi1', C: 'jetson' });
  const c = r.placements.find((p) => p.instance_id === 'C')!;
  assert.equal(c.breakdown.affinity, 25);
});

test('greedy counterexample from the issue: 20 GB CPU job must not take the jetson from the 50 GB GPU job', () => {
  const nodes = [node({ name: 'jetson', ram_gb: 64, gpu: true, max_instances: 4, reserved_ram_gb: 8 }), node({ name: 'host', ram_gb: 32, max_instances: 2, reserved_ram_gb: 4 })];
  // A greedy placer in submission order puts cpu20 on the jetson (its best node on its own) and
  // then has no room for gpu50 (36 GB left after reserve), although host + jetson hold both.
  const weights = { ...DEFAULT_WEIGHTS, gpu_preference: 0 };
  const cpu20 = inst({ instance_id: 'cpu20', ram_gb: 20, preferred_node: 'jetson' });
  const gpu50 = inst({ instance_id: 'gpu50', ram_gb: 50, gpu_required: true });
  assert.deepEqual(where(plan(input(nodes, [cpu20], { weights }))), { cpu20: 'jetson' }, 'alone, cpu20 prefers the jetson');
  for (const order of [
    [cpu20, gpu50],
    [gpu50, cpu20],
  ]) {
    const r = plan(input(nodes, order, { weights }));
    assert.deepEqual(where(r), { cpu20: 'host', gpu50: 'jetson' });
    assert.equal(r.unplaced.length, 0);
  }
});

test('seed-cluster example files (examples/seed-cluster) plan as documented', { skip: !existsSync(join(__dirname, '../../../examples/seed-cluster/cluster.yaml')) }, () => {
  const dir = join(__dirname, '../../../examples/seed-cluster');
  const read = (f: string) => ({ file: f, text: readFileSync(join(dir, f), 'utf8') });
  const load = (exp: string) => {
    const v = validateWorkspace(read('cluster.yaml'), [read(`experiments/${exp}`)]);
    assert.ok(v.model, JSON.stringify(v.diagnostics));
    return v.model;
  };
  const run = (exp: string, pins?: Record<string, string>) => {
    const m = load(exp);
    return where(plan({ nodes: m.cluster.nodes, instances: m.instances, weights: m.cluster.placement?.weights ?? DEFAULT_WEIGHTS, ...(pins ? { pins } : {}) }));
  };
  assert.deepEqual(run('split_brain.yaml'), { split_brain_A: 'jetson', split_brain_B: 'rpi1' });
  assert.deepEqual(run('abc_example.json'), { instance_a: 'jetson', instance_b: 'rpi1', instance_c: 'jetson' });
  assert.deepEqual(run('prisoners_dilemma.yaml'), { player_a: 'rpi1', player_b: 'rpi2' });
  assert.deepEqual(run('panopticon.yaml', { panopticon_subject: 'rpi1', panopticon_observer: 'jetson' }), { panopticon_subject: 'rpi1', panopticon_observer: 'jetson' });
  const hive = run('hive_cluster.yaml');
  // With the workstation and a second Pi present, the jetson keeps at least two minds and the
  // pessimist (6 GB, CPU) lands on a Pi.
  assert.ok(Object.values(hive).filter((n) => n === 'jetson').length >= 2);
  assert.match(hive.pessimist!, /^rpi/);
});
