// The seeds' documented placements, built from the seed numbers, and the greedy counterexample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { plan } from '../../../src/core/placement';
import { validateWorkspace } from '../../../src/core/config/validate';
import { DEFAULT_WEIGHTS } from '../../../src/core/config/schema';
import { host, inst, input, jetson, node, rpi1, rpi2, where } from './helpers';

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
});

test('panopticon, automatic (no pins): subject -> rpi1 (preferred node), observer -> jetson (GPU required)', () => {
  // The seed's numbers: subject 6 GB preferred_node=rpi1; observer 8 GB, GPU required, affinity
  // with the subject; jetson 64 GB with GPU, rpi 8 GB without.
  const subject = inst({ instance_id: 'panopticon_subject', ram_gb: 6, preferred_node: 'rpi1' });
  const observer = inst({ instance_id: 'panopticon_observer', ram_gb: 8, gpu_required: true, affinity: ['panopticon_subject'] });
  for (const [nodes, insts] of [
    [[jetson, rpi1], [subject, observer]],
    [[rpi1, jetson], [observer, subject]],
    [[jetson, rpi1, rpi2, host], [subject, observer]],
  ] as const) {
    const r = plan(input([...nodes], [...insts]));
    assert.deepEqual(where(r), { panopticon_subject: 'rpi1', panopticon_observer: 'jetson' }, nodes.map((n) => n.name).join(','));
    assert.equal(r.exact, true);
    const s = r.placements.find((p) => p.instance_id === 'panopticon_subject')!;
    const o = r.placements.find((p) => p.instance_id === 'panopticon_observer')!;
    // Subject on rpi1: 6/8 GB = 75 % -> 25, alone 20, CPU off the GPU 15, declares no affinity 25,
    // preferred node 10.
    assert.deepEqual(s.breakdown, { resource_efficiency: 25, load_balancing: 20, gpu_preference: 15, affinity: 25, preferred_node: 10 });
    assert.equal(s.score, 95);
    // Observer on the jetson: its declared partner is elsewhere, so its affinity term is 0 (the
    // pair is counted once, by its declarer); 8/64 GB = 12.5 % -> 12.5.
    assert.deepEqual(o.breakdown, { resource_efficiency: 12.5, load_balancing: 20, gpu_preference: 15, affinity: 0, preferred_node: 10 });
    // The explanation shows the alternative: the subject on the jetson next to the observer.
    const opts = r.explanations.find((e) => e.instance_id === 'panopticon_subject')!.options;
    const onJetson = opts.find((o2) => o2.node === 'jetson')!;
    assert.equal(onJetson.feasible, true);
    assert.equal(onJetson.breakdown!.preferred_node, 0);
    assert.equal(onJetson.breakdown!.gpu_preference, 0);
  }
});

test('affinity is scored for its declarer: the partner gets full points, the pair is counted once', () => {
  const a = inst({ instance_id: 'a', ram_gb: 4 });
  const b = inst({ instance_id: 'b', ram_gb: 4, affinity: ['a'] });
  const big = node({ name: 'big', ram_gb: 16, max_instances: 2 });
  const other = node({ name: 'other', ram_gb: 16, max_instances: 2 });
  const apart = plan(input([big, other], [a, b], { pins: { a: 'big', b: 'other' } }));
  const byId = Object.fromEntries(apart.placements.map((p) => [p.instance_id, p.breakdown.affinity]));
  assert.deepEqual(byId, { a: 25, b: 0 });
  // Automatic: b joins a (the pull reaches a through b's score), whatever the file order.
  for (const order of [
    [a, b],
    [b, a],
  ]) {
    const r = plan(input([big, other], order));
    assert.equal(where(r).a, where(r).b);
    assert.ok(r.placements.every((p) => p.breakdown.affinity === 25));
  }
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
  // The guide's A/B/C example names three nodes (jetson, rpi1, host); the example cluster has a
  // second Pi too. On those three nodes the documented plan comes out exactly.
  const abc = load('abc_example.json');
  const abc3 = where(plan({ nodes: abc.cluster.nodes.filter((n) => n.name !== 'rpi2'), instances: abc.instances, weights: abc.cluster.placement?.weights ?? DEFAULT_WEIGHTS }));
  assert.deepEqual(abc3, { instance_a: 'jetson', instance_b: 'rpi1', instance_c: 'jetson' });
  assert.equal(run('abc_example.json').instance_a, 'jetson');
  assert.deepEqual(run('panopticon.yaml'), { panopticon_subject: 'rpi1', panopticon_observer: 'jetson' });
  assert.deepEqual(run('prisoners_dilemma.yaml'), { player_a: 'rpi1', player_b: 'rpi2' });
  assert.deepEqual(run('panopticon.yaml', { panopticon_subject: 'rpi1', panopticon_observer: 'jetson' }), { panopticon_subject: 'rpi1', panopticon_observer: 'jetson' });
  const hive = run('hive_cluster.yaml');
  // With the workstation and a second Pi present, the jetson keeps at least two minds and the
  // pessimist (6 GB, CPU) lands on a Pi.
  assert.ok(Object.values(hive).filter((n) => n === 'jetson').length >= 2);
  assert.match(hive.pessimist!, /^rpi/);
});
