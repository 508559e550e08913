// `clusterlab health` (the built dist/cli.js) against real sshd nodes from the harness.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSshNodes, type SshCluster } from '../harness/sshNodes';

const CLI = resolve(__dirname, '../../dist/cli.js');
let cluster: SshCluster;
let dir: string;

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, SSH_AUTH_SOCK: '', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('close', (code) => res({ code, stdout, stderr }));
  });
}

before(async () => {
  cluster = await startSshNodes({ count: 3 });
  dir = mkdtempSync(join(tmpdir(), 'clusterlab-health-cli-'));
  const [a, b, c] = cluster.nodes;
  writeFileSync(
    join(dir, 'cluster.yaml'),
    [
      'cluster:',
      '  name: health-cli-test',
      'nodes:',
      `  - name: alias`,
      `    host: ${a!.name}          # resolved through --ssh-config`,
      '    ram_gb: 1',
      '    max_instances: 2',
      `  - name: explicit`,
      `    host: 127.0.0.1`,
      `    ssh_port: ${b!.port}`,
      `    ssh_user: ${cluster.userName}`,
      `    ssh_key_path: ${cluster.clientKeyPath}`,
      '    ram_gb: 1',
      `  - name: dead`,
      `    host: 127.0.0.1`,
      `    ssh_port: ${c!.port}`,
      `    ssh_user: ${cluster.userName}`,
      `    ssh_key_path: ${cluster.clientKeyPath}`,
      '    ram_gb: 1',
      '  - name: workstation',
      '    type: host',
      '    ram_gb: 1',
      '',
    ].join('\n'),
  );
  await c!.stop();
});

after(async () => {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const flags = () => ['--known-hosts', cluster.knownHostsPath, '--ssh-config', cluster.sshConfigPath, '--timeout', '4'];

test('health --json: statuses, reasons, figures; exit 1 when a node is down', async () => {
  const r = await runCli(['health', '--json', ...flags()]);
  assert.equal(r.code, 1, r.stderr);
  const data = JSON.parse(r.stdout) as { nodes: Array<Record<string, unknown>> };
  const by = (n: string) => data.nodes.find((x) => x.name === n)!;
  assert.deepEqual(data.nodes.map((n) => [n.name, n.status]), [
    ['alias', 'healthy'],
    ['explicit', 'healthy'],
    ['dead', 'unavailable'],
    ['workstation', 'healthy'],
  ]);
  assert.equal(by('alias').host, cluster.nodes[0]!.name, 'host as configured');
  assert.equal(by('alias').reason, null);
  assert.equal(typeof by('alias').ram_total_gb, 'number');
  assert.equal(typeof by('alias').ram_used_gb, 'number');
  assert.equal(by('workstation').host, 'localhost');
  assert.equal(by('workstation').disk_path, dir, 'type: host probes the workspace folder locally');
  assert.match(String(by('dead').reason), /connection refused/);
  assert.equal(by('dead').host, '127.0.0.1');
});

test('health table for healthy nodes only: exit 0, the seed columns', async () => {
  const r = await runCli(['health', '--node', 'alias,explicit', '--node', 'workstation', ...flags()]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /┃ Node +┃ Host +┃ Status +┃ RAM \(GB\) ┃ GPU ┃ Max Instances ┃/);
  assert.match(r.stdout, /│ alias +│ n1 +│ healthy +│ 1 +│ ✗ +│ 2 +│/);
  assert.match(r.stdout, /✓ All 3 nodes are healthy/);
  assert.doesNotMatch(r.stdout, /dead/);
});

test('unknown host key: refused without consent, accepted and recorded with --accept-new-host-keys', async () => {
  const kh = join(dir, 'known_hosts_empty');
  writeFileSync(kh, '');
  const base = ['health', '--json', '--node', 'explicit', '--known-hosts', kh, '--ssh-config', cluster.sshConfigPath];
  const refused = await runCli(base);
  assert.equal(refused.code, 1);
  const n = (JSON.parse(refused.stdout) as { nodes: Array<{ status: string; reason: string }> }).nodes[0]!;
  assert.equal(n.status, 'unavailable');
  assert.match(n.reason, /host key unknown/);
  const accepted = await runCli([...base, '--accept-new-host-keys']);
  assert.equal(accepted.code, 0, accepted.stderr);
  assert.match(accepted.stderr, /accepted new host key/);
  assert.match(readFileSync(kh, 'utf8'), new RegExp(`\\[127\\.0\\.0\\.1\\]:${cluster.nodes[1]!.port} ssh-ed25519 `));
});

test('usage errors: unknown node, bad timeout', async () => {
  const r = await runCli(['health', '--node', 'nope', ...flags()]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no node named "nope".*nodes: alias, explicit, dead, workstation/);
  const t = await runCli(['health', '--timeout', 'soon']);
  assert.equal(t.code, 2);
  assert.match(t.stderr, /--timeout needs a number/);
});

test('--watch re-probes until interrupted', async () => {
  const p = spawn(process.execPath, [CLI, 'health', '--json', '--watch', '0.3', '--node', 'alias', ...flags()], { cwd: dir, env: { ...process.env, SSH_AUTH_SOCK: '' } });
  let out = '';
  p.stdout.on('data', (c: Buffer) => (out += c.toString()));
  // Interrupt once three rounds are out (or after 8 s, which fails below).
  for (let t = 0; t < 80 && out.trim().split('\n').length < 3; t++) await new Promise((r) => setTimeout(r, 100));
  p.kill('SIGINT');
  const code = await new Promise<number | null>((r) => p.on('close', r));
  const rounds = out.trim().split('\n').map((l) => JSON.parse(l) as { nodes: Array<{ status: string }> });
  assert.ok(rounds.length >= 3, `rounds: ${rounds.length}`);
  assert.ok(rounds.every((x) => x.nodes[0]!.status === 'healthy'));
  assert.equal(code, 0);
});
