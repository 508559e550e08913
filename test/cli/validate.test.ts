// clusterlab validate, run as the built CLI (node dist/cli.js): exit codes, line format, --json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');

function run(args: string[], cwd = root): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CLUSTERLAB_DEBUG: '' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'clusterlab-validate-'));
}

test('the seed example validates: exit 0 and the seed-style summary', () => {
  const r = run(['validate', '--cluster', 'examples/seed-cluster/cluster.yaml']);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^Nodes: 4$/m);
  assert.ok(r.out.includes('  • jetson: 192.168.1.100 (64GB RAM, GPU, max 4 instances)'), r.out);
  assert.ok(r.out.includes('  • rpi1: 192.168.1.101 (8GB RAM, CPU, max 1 instances)'), r.out);
  assert.match(r.out, /^Instances: 13$/m);
  assert.ok(r.out.includes('split_brain_A (8GB RAM, GPU required)'));
});

test('the local example validates with its default experiments', () => {
  const r = run(['validate'], join(root, 'examples', 'local'));
  assert.equal(r.code, 0, r.out + r.err);
  assert.ok(r.out.includes('  • host: localhost (16GB RAM, CPU, max 4 instances)'));
  assert.match(r.out, /^Instances: 10$/m);
});

test('problems: exit 1, one FILE:LINE:COL line each, paths as given', () => {
  const d = tmp();
  try {
    writeFileSync(join(d, 'c.yaml'), 'cluster:\n  name: x\nnodes:\n  - name: a\n    host: h\n    ram_gb: 0\n    ram_gbb: 1\n');
    writeFileSync(join(d, 'e.yaml'), 'instance_id: i\nram_gb: 1\npreferred_node: b\n');
    const r = run(['validate', '--cluster', 'c.yaml', '--experiments', 'e.yaml'], d);
    assert.equal(r.code, 1, r.out + r.err);
    const lines = r.out.trim().split('\n');
    assert.equal(lines.length, 3, r.out);
    assert.match(lines[0] as string, /^c\.yaml:6:13: error: ram_gb of node a must be greater than 0/);
    assert.match(lines[1] as string, /^c\.yaml:7:5: warning: unknown key "ram_gbb".*did you mean ram_gb\?/);
    assert.match(lines[2] as string, /^e\.yaml:3:17: error: preferred_node of instance i names b/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('warnings alone exit 0; --strict makes them fail', () => {
  const d = tmp();
  try {
    writeFileSync(join(d, 'cluster.yaml'), 'cluster:\n  name: x\n  colour: red\nnodes:\n  - name: h\n    type: host\n    ram_gb: 4\n');
    const ok = run(['validate'], d);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /^cluster\.yaml:3:3: warning: unknown key "colour"/m);
    assert.equal(run(['validate', '--strict'], d).code, 1);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('--experiments is repeatable and takes several files', () => {
  const d = tmp();
  try {
    writeFileSync(join(d, 'cluster.yaml'), 'cluster:\n  name: x\nnodes:\n  - name: h\n    type: host\n    ram_gb: 4\n');
    for (const n of ['a', 'b', 'c']) writeFileSync(join(d, `${n}.yaml`), `instance_id: ${n}\nram_gb: 1\n`);
    const r = run(['validate', '--experiments', 'a.yaml', 'b.yaml', '--experiments', 'c.yaml'], d);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^Instances: 3$/m);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('--json prints valid, diagnostics, nodes and instances', () => {
  const good = run(['validate', '--cluster', 'examples/seed-cluster/cluster.yaml', '--json']);
  assert.equal(good.code, 0);
  const j = JSON.parse(good.out) as { valid: boolean; diagnostics: unknown[]; nodes: { name: string }[]; instances: { instance_id: string; failover: unknown }[] };
  assert.equal(j.valid, true);
  assert.deepEqual(j.diagnostics, []);
  assert.deepEqual(j.nodes.map((n) => n.name), ['jetson', 'rpi1', 'rpi2', 'host']);
  assert.equal(j.instances.length, 13);
  const d = tmp();
  try {
    writeFileSync(join(d, 'cluster.yaml'), 'cluster:\n  name: x\nnodes:\n  - name: a\n    ram_gb: 8\n');
    const bad = run(['validate', '--json'], d);
    assert.equal(bad.code, 1);
    const b = JSON.parse(bad.out) as { valid: boolean; diagnostics: { file: string; line: number; column: number; severity: string; message: string }[] };
    assert.equal(b.valid, false);
    assert.deepEqual(b.diagnostics.map((x) => [x.file, x.line, x.column, x.severity]), [['cluster.yaml', 4, 5, 'error']]);
    assert.match(b.diagnostics[0]?.message ?? '', /node a has no host/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('usage errors exit 2; a missing cluster file is a clear error, not a stack trace', () => {
  assert.equal(run(['validate', '--no-such-flag']).code, 2);
  assert.equal(run(['validate', 'stray.yaml']).code, 2);
  const d = tmp();
  try {
    const r = run(['validate'], d);
    assert.equal(r.code, 1);
    assert.match(r.err, /no cluster file found.*cluster\.yaml.*cluster_config\.yaml/);
    assert.match(r.err, /Create cluster\.yaml/);
    assert.doesNotMatch(r.err, /\n\s+at /);
    const m = run(['validate', '--cluster', 'nope.yaml'], d);
    assert.equal(m.code, 1);
    assert.match(m.err, /cluster file nope\.yaml not found/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('cluster_config.yaml is the second default; a non-UTF-8 file is a positioned error', () => {
  const d = tmp();
  try {
    mkdirSync(join(d, 'experiments', 'sub'), { recursive: true });
    copyFileSync(join(root, 'test', 'fixtures', 'config', 'ok-cluster.yaml'), join(d, 'cluster_config.yaml'));
    writeFileSync(join(d, 'experiments', 'sub', 'bin.yaml'), Buffer.from([0x69, 0x3a, 0x20, 0xc3, 0x28, 0x0a]));
    const r = run(['validate'], d);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /^experiments\/sub\/bin\.yaml:1:4: error: the file is not valid UTF-8/m);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('--help documents the exit codes and how warnings count', () => {
  const r = run(['validate', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /--experiments FILE/);
  assert.match(r.out, /warnings are printed but do not fail, unless\s+--strict/);
});
