// clusterlab plan through the built dist/cli.js: JSON contract, exit codes, pins, health file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(__dirname, '../../dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'clusterlab-plan-'));
writeFileSync(
  join(dir, 'cluster.yaml'),
  ['cluster: { name: t }', 'nodes:', '  - { name: jetson, type: jetson_orin, host: j, ram_gb: 64, gpu: true, gpu_memory_gb: 64, max_instances: 4, reserved_ram_gb: 8 }', '  - { name: rpi1, type: raspberry_pi, host: r, ram_gb: 8, max_instances: 1, reserved_ram_gb: 1 }', ''].join('\n'),
);
writeFileSync(join(dir, 'exp.yaml'), ['instances:', '  - { instance_id: a, ram_gb: 8, gpu_required: true }', '  - { instance_id: b, ram_gb: 2, anti_affinity: [a] }', ''].join('\n'));
writeFileSync(join(dir, 'big.yaml'), ['instances:', '  - { instance_id: huge, ram_gb: 60 }', ''].join('\n'));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('plan --json: placements with breakdown, exit 0', () => {
  const r = run('plan', '--cluster', 'cluster.yaml', '--experiments', 'exp.yaml', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.placements.map((p: { instance_id: string; node: string }) => [p.instance_id, p.node]), [['a', 'jetson'], ['b', 'rpi1']]);
  assert.deepEqual(Object.keys(j.placements[0].breakdown).sort(), ['affinity', 'gpu_preference', 'load_balancing', 'preferred_node', 'resource_efficiency']);
  assert.deepEqual(j.unplaced, []);
});

test('plan: unplaced instance gives exit 1 and a reason per node', () => {
  const r = run('plan', '--cluster', 'cluster.yaml', '--experiments', 'big.yaml', '--json');
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out);
  assert.equal(j.unplaced[0].instance_id, 'huge');
  assert.equal(j.unplaced[0].reasons.jetson, 'needs 60 GB, 56 GB free after reserve (64 GB total, 8 GB reserved)');
  assert.ok(j.unplaced[0].reasons.rpi1);
  const human = run('plan', '--cluster', 'cluster.yaml', '--experiments', 'big.yaml');
  assert.equal(human.code, 1);
  assert.match(human.out, /rpi1: needs 60 GB, 7 GB free after reserve/);
});

test('plan --placement: unknown id is a usage error (2); infeasible pin is exit 1 with the reason', () => {
  const bad = run('plan', '--cluster', 'cluster.yaml', '--experiments', 'exp.yaml', '--placement', 'a:jetson,zz:rpi1');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown instance "zz"/);
  const badNode = run('plan', '--cluster', 'cluster.yaml', '--experiments', 'exp.yaml', '--placement', 'a:nope');
  assert.equal(badNode.code, 2);
  assert.match(badNode.err, /unknown node "nope"/);
  const infeasible = run('plan', '--cluster', 'cluster.yaml', '--experiments', 'exp.yaml', '--placement', 'a:rpi1', '--json');
  assert.equal(infeasible.code, 1);
  assert.match(infeasible.err, /a:rpi1 is impossible: needs a GPU/);
});

test('plan --health: unavailable node is avoided; a bad file is exit 2', () => {
  writeFileSync(join(dir, 'h.json'), JSON.stringify({ rpi1: 'unavailable' }));
  const r = run('plan', '--cluster', 'cluster.yaml', '--experiments', 'exp.yaml', '--health', 'h.json', '--json');
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.out).unplaced[0].reasons.rpi1, 'node is unavailable');
  writeFileSync(join(dir, 'h2.json'), JSON.stringify({ nodes: [{ name: 'rpi1', status: 'maintenance' }] }));
  assert.equal(JSON.parse(run('plan', '--cluster', 'cluster.yaml', '--experiments', 'exp.yaml', '--health', 'h2.json', '--json').out).unplaced[0].reasons.rpi1, 'node is in maintenance');
  writeFileSync(join(dir, 'bad.json'), '{"rpi1": "sick"}');
  const b = run('plan', '--cluster', 'cluster.yaml', '--experiments', 'exp.yaml', '--health', 'bad.json');
  assert.equal(b.code, 2);
  assert.match(b.err, /not one of healthy, degraded, unavailable, maintenance/);
});

test('report --json: the seed shape', () => {
  const r = run('report', '--cluster', 'cluster.yaml', '--experiments', 'exp.yaml', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  for (const k of ['timestamp', 'total_nodes', 'total_instances', 'nodes', 'warnings']) assert.ok(k in j, k);
  assert.equal(j.total_instances, 2);
  const jet = j.nodes.find((n: { name: string }) => n.name === 'jetson');
  assert.deepEqual({ ...jet, instance_ids: undefined, ram_reserved_gb: undefined, gpu_memory_allocated_gb: undefined, gpu_memory_total_gb: undefined }, { name: 'jetson', status: 'healthy', instances: 1, max_instances: 4, ram_allocated_gb: 8, ram_total_gb: 64, ram_utilization_percent: 12.5, gpu: true, instance_ids: undefined, ram_reserved_gb: undefined, gpu_memory_allocated_gb: undefined, gpu_memory_total_gb: undefined });
});
