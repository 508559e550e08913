// Hard constraints, reasons, pins, existing allocations, degraded nodes, determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHardConstraints, evaluateAssignment, plan } from '../../../src/core/placement';
import { DEFAULT_WEIGHTS } from '../../../src/core/config/schema';
import { inst, input, jetson, node, rpi1, rpi2, where } from './helpers';

test('RAM reason counts the reserve and what is already placed', () => {
  const big = inst({ instance_id: 'big', ram_gb: 12 });
  assert.deepEqual(checkHardConstraints(input([rpi1], [big]), {}, 'big', 'rpi1'), ['needs 12 GB, 7 GB free after reserve (8 GB total, 1 GB reserved)']);
  const twoJ = node({ name: 'j', ram_gb: 64, max_instances: 4, reserved_ram_gb: 8 });
  const a = inst({ instance_id: 'a', ram_gb: 40 });
  const b = inst({ instance_id: 'b', ram_gb: 20 });
  const v = checkHardConstraints(input([twoJ], [a, b]), { a: 'j' }, 'b', 'j');
  assert.deepEqual(v, ['needs 20 GB, 16 GB free after reserve (64 GB total, 8 GB reserved, 40 GB allocated)']);
  // Exactly full is fine.
  assert.deepEqual(checkHardConstraints(input([rpi1], [inst({ instance_id: 'x', ram_gb: 7 })]), {}, 'x', 'rpi1'), []);
});

test('every hard constraint has its own readable reason', () => {
  const gpuBox = node({ name: 'gbox', ram_gb: 64, gpu: true, gpu_memory_gb: 16, max_instances: 3 });
  const nodes = [gpuBox, rpi1, node({ name: 'down', ram_gb: 64, max_instances: 4 }), node({ name: 'fix', ram_gb: 64, max_instances: 4, status: 'maintenance' })];
  const g = inst({ instance_id: 'g', ram_gb: 4, gpu_required: true, gpu_memory_gb: 10 });
  const g2 = inst({ instance_id: 'g2', ram_gb: 4, gpu_memory_gb: 10 });
  const anti = inst({ instance_id: 'anti', ram_gb: 1, anti_affinity: ['g'] });
  const filler = inst({ instance_id: 'filler', ram_gb: 1 });
  const inp = input(nodes, [g, g2, anti, filler], { status: { down: 'unavailable' } });
  assert.deepEqual(checkHardConstraints(inp, {}, 'g', 'rpi1'), ['needs a GPU (gpu_required), node has none']);
  assert.deepEqual(checkHardConstraints(inp, {}, 'g2', 'rpi1'), ['needs 10 GB GPU memory, node has no GPU']);
  assert.deepEqual(checkHardConstraints(inp, { g: 'gbox' }, 'g2', 'gbox'), ['needs 10 GB GPU memory, 6 GB unallocated']);
  assert.deepEqual(checkHardConstraints(inp, {}, 'filler', 'down'), ['node is unavailable']);
  assert.deepEqual(checkHardConstraints(inp, {}, 'filler', 'fix'), ['node is in maintenance']);
  assert.deepEqual(checkHardConstraints(inp, { filler: 'rpi1' }, 'anti', 'rpi1'), ['full: 1/1 instances (max_instances) already placed: filler']);
  // Anti-affinity is symmetric: declared by `anti`, it also keeps `g` away from `anti`.
  assert.deepEqual(checkHardConstraints(inp, { g: 'gbox' }, 'anti', 'gbox'), ['anti-affinity with g, already placed there']);
  assert.deepEqual(checkHardConstraints(inp, { anti: 'gbox' }, 'g', 'gbox'), ['anti-affinity with anti, already placed there']);
  assert.deepEqual(checkHardConstraints({ ...inp, pins: { filler: 'gbox' } }, {}, 'filler', 'rpi1'), ['pinned to gbox by --placement']);
});

test('a GPU node without gpu_memory_gb does not track GPU memory', () => {
  const gpuNoMem = node({ name: 'g', ram_gb: 200, gpu: true, max_instances: 10 });
  const xs = Array.from({ length: 5 }, (_, k) => inst({ instance_id: `x${k}`, ram_gb: 10, gpu_memory_gb: 100 }));
  const r = plan(input([gpuNoMem], xs));
  assert.equal(r.placements.length, 5);
});

test('unplaced instances carry a reason for every node', () => {
  const nodes = [jetson, rpi1, rpi2];
  const r = plan(input(nodes, [inst({ instance_id: 'huge', ram_gb: 100 }), inst({ instance_id: 'gpu', ram_gb: 60, gpu_required: true })]));
  assert.equal(r.placements.length, 0);
  assert.equal(r.unplaced.length, 2);
  for (const u of r.unplaced) assert.deepEqual(Object.keys(u.reasons).sort(), ['jetson', 'rpi1', 'rpi2']);
  const gpu = r.unplaced.find((u) => u.instance_id === 'gpu')!;
  assert.equal(gpu.reasons.jetson, 'needs 60 GB, 56 GB free after reserve (64 GB total, 8 GB reserved)');
  assert.match(gpu.reasons.rpi1!, /needs a GPU/);
});

test('when not everything fits, the maximum number is placed', () => {
  // 29 GB of jobs for 24 GB of room (two Pis with 7 GB usable, one 10 GB node for two): at most
  // four fit, and only if both 5 GB jobs share the 10 GB node and the 6 GB ones take the Pis.
  const big = node({ name: 'big', ram_gb: 10, max_instances: 2 });
  const jobs = [inst({ instance_id: 'a', ram_gb: 5 }), inst({ instance_id: 'b', ram_gb: 5 }), inst({ instance_id: 'c', ram_gb: 6 }), inst({ instance_id: 'd', ram_gb: 6 }), inst({ instance_id: 'e', ram_gb: 7 })];
  const r = plan(input([rpi1, rpi2, big], jobs));
  assert.equal(r.placements.length, 4);
  assert.equal(r.unplaced.length, 1);
  assert.equal(evaluateAssignment(input([rpi1, rpi2, big], jobs), where(r)).valid, true);
});

test('existing allocations count and are never moved', () => {
  const running = inst({ instance_id: 'running', ram_gb: 40, gpu_required: true });
  const newGpu = inst({ instance_id: 'new_gpu', ram_gb: 20, gpu_required: true });
  const newCpu = inst({ instance_id: 'new_cpu', ram_gb: 2 });
  const r = plan(input([jetson, rpi1], [newGpu, newCpu], { existing: [{ instance: running, node: 'jetson' }] }));
  assert.equal(where(r).new_gpu, undefined, 'only 16 GB left on the jetson');
  assert.match(r.unplaced[0]!.reasons.jetson!, /needs 20 GB, 16 GB free after reserve/);
  assert.equal(where(r).new_cpu, 'rpi1');
  assert.ok(!r.placements.some((p) => p.instance_id === 'running'));
});

test('an infeasible pin is reported with its reason and left unplaced; the rest is placed around pins', () => {
  const a = inst({ instance_id: 'a', ram_gb: 12 });
  const b = inst({ instance_id: 'b', ram_gb: 4 });
  const c = inst({ instance_id: 'c', ram_gb: 4 });
  const r = plan(input([jetson, rpi1], [a, b, c], { pins: { a: 'rpi1', b: 'rpi1' } }));
  assert.deepEqual(r.pin_errors, [{ instance_id: 'a', node: 'rpi1', reasons: ['needs 12 GB, 7 GB free after reserve (8 GB total, 1 GB reserved)'] }]);
  assert.equal(where(r).b, 'rpi1');
  assert.equal(where(r).c, 'jetson');
  const ua = r.unplaced.find((u) => u.instance_id === 'a')!;
  assert.equal(ua.reasons.jetson, 'pinned to rpi1 by --placement');
});

test('DEGRADED nodes are a last resort, with a penalty', () => {
  const j2 = node({ name: 'j2', ram_gb: 64, gpu: true, max_instances: 4 });
  const x = inst({ instance_id: 'x', ram_gb: 4 });
  const r = plan(input([j2, rpi1], [x], { status: { rpi1: 'degraded' } }));
  assert.equal(where(r).x, 'j2', 'a healthy node wins even with a worse raw score');
  const only = plan(input([j2, rpi1], [x], { status: { rpi1: 'degraded', j2: 'unavailable' } }));
  assert.equal(where(only).x, 'rpi1');
  assert.ok((only.placements[0]!.penalty ?? 0) > 0);
});

test('affinity counts both ways, whatever the order of the files', () => {
  const nodes = [node({ name: 'n1', ram_gb: 16, max_instances: 2 }), node({ name: 'n2', ram_gb: 16, max_instances: 2 })];
  const a = inst({ instance_id: 'a', ram_gb: 4, affinity: ['b'] });
  const b = inst({ instance_id: 'b', ram_gb: 4 });
  for (const order of [
    [a, b],
    [b, a],
  ]) {
    const r = plan(input(nodes, order));
    assert.equal(where(r).a, where(r).b);
    for (const p of r.placements) assert.equal(p.breakdown.affinity, 25);
  }
});

test('same input, same plan; weights come from the input', () => {
  const nodes = [jetson, rpi1, rpi2, node({ name: 'host', ram_gb: 32, max_instances: 2 })];
  const xs = Array.from({ length: 8 }, (_, k) => inst({ instance_id: `i${k}`, ram_gb: 2 + (k % 4) * 3, gpu_preferred: k % 3 === 0, affinity: k % 4 === 1 ? [`i${k - 1}`] : [] }));
  const first = JSON.stringify(plan(input(nodes, xs)));
  for (let k = 0; k < 3; k++) assert.equal(JSON.stringify(plan(input(nodes, xs))), first);
  const onlyPref = plan(input(nodes, [inst({ instance_id: 'p', ram_gb: 2, preferred_node: 'rpi2' })], { weights: { ...DEFAULT_WEIGHTS, preferred_node: 100 } }));
  assert.equal(where(onlyPref).p, 'rpi2');
  assert.equal(onlyPref.placements[0]!.breakdown.preferred_node, 100);
});
