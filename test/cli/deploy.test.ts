// clusterlab deploy through the built CLI: a `type: host` node in copy mode (LocalConnection), a
// host node in place, and an SSH node nobody listens for, which fails alone with its name.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(__dirname, '../../dist/cli.js');
const root = mkdtempSync(join(tmpdir(), 'cl-deploy-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, HOME: join(root, 'home') }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function workspace(name: string, clusterYaml: string): string {
  const ws = join(root, name);
  mkdirSync(join(ws, 'code/pkg'), { recursive: true });
  writeFileSync(join(ws, 'cluster.yaml'), clusterYaml);
  writeFileSync(join(ws, 'code/run.py'), 'print("hi")\n');
  writeFileSync(join(ws, 'code/pkg/tool.sh'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(ws, 'code/pkg/cache.pyc'), 'x');
  writeFileSync(join(ws, 'code/.gitignore'), '*.pyc\n');
  return ws;
}

test('deploy: host copy node synced, dead SSH node reported by name with a fix, exit 1; --json; second run sends nothing', async () => {
  const port = await deadPort();
  const copyDir = join(root, 'copy-target');
  const ws = workspace(
    'ws1',
    [
      'cluster: { name: t }',
      'deploy: { source: code, host_mode: copy, exclude: ["*.tmp"] }',
      'nodes:',
      `  - { name: here, type: host, ram_gb: 4, remote_work_dir: ${JSON.stringify(copyDir)} }`,
      `  - { name: ghost, host: 127.0.0.1, ssh_port: ${port}, ssh_user: nobody, ram_gb: 4, remote_work_dir: /tmp/never }`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(ws, 'code/scratch.tmp'), 'no');
  const r = cli(['deploy', '--known-hosts', join(root, 'kh')], ws);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /✓ here\s+.*copy-target: 3 file\(s\) sent/);
  assert.match(r.out, /✗ ghost\s+.+/);
  assert.match(r.out, /1 of 2 node\(s\) failed/);
  assert.equal(readFileSync(join(copyDir, 'run.py'), 'utf8'), 'print("hi")\n');
  assert.equal(statSync(join(copyDir, 'pkg/tool.sh')).mode & 0o777, 0o755);
  assert.equal(existsSync(join(copyDir, 'pkg/cache.pyc')), false);
  assert.equal(existsSync(join(copyDir, 'scratch.tmp')), false);

  const j = cli(['deploy', '--json', '--node', 'here'], ws);
  assert.equal(j.code, 0, j.err);
  const parsed = JSON.parse(j.out) as { nodes: Array<{ node: string; status: string; files_sent: number; unchanged: number }> };
  assert.deepEqual(parsed.nodes.map((n) => [n.node, n.status, n.files_sent, n.unchanged]), [['here', 'deployed', 0, 3]]);

  const g = cli(['deploy', '--json', '--node', 'ghost', '--known-hosts', join(root, 'kh')], ws);
  assert.equal(g.code, 1);
  const gj = JSON.parse(g.out) as { nodes: Array<{ node: string; status: string; error: string; fix: string }> };
  assert.equal(gj.nodes[0]?.status, 'failed');
  assert.ok(gj.nodes[0]?.error && gj.nodes[0].fix, 'what failed and what to do');
});

test('deploy: host node in place, --dry-run lists files, unknown node is a usage error', () => {
  const ws = workspace('ws2', ['cluster: { name: t }', 'nodes:', '  - { name: me, type: host, ram_gb: 4 }', ''].join('\n'));
  const r = cli(['deploy'], ws);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /me\s+runs in place at .*ws2/);
  const u = cli(['deploy', '--node', 'nope'], ws);
  assert.equal(u.code, 2);
  assert.match(u.err, /no node named "nope"/);

  const copyDir = join(root, 'dry-target');
  const ws3 = workspace('ws3', ['cluster: { name: t }', 'deploy: { host_mode: copy }', 'nodes:', `  - { name: me, type: host, ram_gb: 4, remote_work_dir: ${JSON.stringify(copyDir)} }`, ''].join('\n'));
  const d = cli(['deploy', '--dry-run'], ws3);
  assert.equal(d.code, 0, d.out + d.err);
  assert.match(d.out, /would send 4 file\(s\)/);
  assert.match(d.out, /\+ code\/run\.py/);
  assert.equal(existsSync(copyDir), false);
});
