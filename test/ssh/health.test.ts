// Health checks against real OpenSSH sshd nodes: 10 nodes in parallel with distinct states, dead,
// wrong-key, unknown-key, bad-auth and hung nodes among them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSshNodes, type SshCluster } from '../harness/sshNodes';
import { ConnectionPool } from '../../src/remote/pool';
import { checkAll, streamHealth } from '../../src/remote/healthCheck';
import type { NodeConfig } from '../../src/core/config/schema';
import type { NodeHealth } from '../../src/core/health/types';

let cluster: SshCluster;
let work: string;
let tmpfsDir: string | undefined;
let deadPid: number;

function mkRun(dir: string, name: string, files: Record<string, string>): void {
  const d = join(dir, '.clusterlab', 'runs', name);
  mkdirSync(d, { recursive: true });
  for (const [f, v] of Object.entries(files)) writeFileSync(join(d, f), v);
}

before(async () => {
  cluster = await startSshNodes({ count: 10 });
  work = `/tmp/clusterlab-health-${process.pid}`;
  mkdirSync(work, { recursive: true });
  chmodSync(work, 0o755);
  // A pid no process has: counted down from pid_max.
  deadPid = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()) - 7;
  while (existsSync(`/proc/${deadPid}`)) deadPid--;
  // n1: a live run and a finished one
  mkRun(join(work, 'n1'), 'exp_A-1', { pid: String(process.pid) });
  mkRun(join(work, 'n1'), 'exp B 2', { pid: String(deadPid), exit_code: '3\n' });
  // n3: a crashed run (dead pid, no exit code)
  mkRun(join(work, 'n3'), 'exp_C', { pid: String(deadPid) });
  // n4: a tiny tmpfs as work dir: the disk is nearly full (under 1 GB free)
  tmpfsDir = join(work, 'n4');
  mkdirSync(tmpfsDir, { recursive: true });
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'tmpfs', tmpfsDir]);
  assert.equal(m.status, 0, `mount tmpfs failed: ${m.stderr.toString()}`);
  spawnSync('chmod', ['-R', 'a+rX', work]);
});

after(async () => {
  if (tmpfsDir) spawnSync('umount', ['-l', tmpfsDir]);
  rmSync(work, { recursive: true, force: true });
  await cluster?.stop();
});

function configs(): NodeConfig[] {
  const n = cluster.nodes;
  const c = (i: number, extra: Partial<NodeConfig> = {}) => cluster.nodeConfig(n[i]!, { remote_work_dir: join(work, n[i]!.name), ...extra });
  return [
    c(0), // healthy with runs
    c(1, { remote_work_dir: join(work, 'does/not/exist/yet') }), // df of the nearest existing parent
    c(2),
    c(3),
    c(4, { status: 'maintenance' }),
    c(5, { ram_gb: 512, type: 'raspberry_pi', gpu: true }), // warnings, still healthy
    c(6), // dead port
    c(7), // changed host key
    c(8), // hung sshd (SIGSTOP)
    c(9, { ssh_key_path: join(cluster.dir, 'stranger_key') }), // key not authorized
  ];
}

test('10 nodes in parallel: each gets its own status and reason; one hung node does not delay the others', async () => {
  const nodes = configs();
  // n7: dead; n8: its known_hosts line replaced by another key; n9: hung; n10: unauthorized key.
  await cluster.nodes[6]!.stop();
  const kh = readFileSync(cluster.knownHostsPath, 'utf8').split('\n');
  const line = kh.findIndex((l) => l === cluster.nodes[7]!.knownHostsLine);
  assert.ok(line >= 0, 'harness known_hosts holds the node line');
  const other = cluster.nodes[0]!.hostPublicKey.split(' ').slice(0, 2).join(' ');
  const changedKh = join(cluster.dir, 'known_hosts_changed');
  kh[line] = `${cluster.nodes[7]!.knownHostsLine.split(' ')[0]} ${other}`;
  writeFileSync(changedKh, kh.join('\n'));
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(cluster.dir, 'stranger_key')]);
  cluster.nodes[8]!.pause();

  const pool = new ConnectionPool({ ...cluster.poolOptions(), knownHostsPath: changedKh, connectTimeoutMs: 10000 });
  const t0 = performance.now();
  const arrival = new Map<string, number>();
  try {
    const results = await checkAll(nodes, pool, { concurrency: 16, timeoutMs: 3000, onResult: (h) => arrival.set(h.name, performance.now() - t0) });
    const total = performance.now() - t0;
    const by = (name: string) => results.find((r) => r.name === name)!;
    const show = results.map((r) => `${r.name}: ${r.status} ${r.reason ?? ''}`).join('\n');

    assert.equal(results.length, 10);
    assert.deepEqual(results.map((r) => r.name), nodes.map((n) => n.name), 'results in config order');

    const n1 = by('n1');
    assert.equal(n1.status, 'healthy', show);
    assert.equal(n1.host, '127.0.0.1');
    assert.ok((n1.ram_total_gb ?? 0) > 0 && (n1.cpu_count ?? 0) >= 1 && n1.load_1m !== undefined && (n1.disk_free_gb ?? 0) > 0);
    assert.deepEqual(
      [...(n1.runs ?? [])].sort((a, b) => a.run_id.localeCompare(b.run_id)),
      [
        { run_id: 'exp B 2', pid: deadPid, alive: false, exit_code: 3 },
        { run_id: 'exp_A-1', pid: process.pid, alive: true },
      ],
    );
    assert.equal(by('n2').status, 'healthy', show);
    assert.equal(by('n2').disk_path, work, 'df measured the nearest existing parent');
    assert.deepEqual(by('n3').runs, [{ run_id: 'exp_C', pid: deadPid, alive: false }]);
    assert.equal(by('n4').status, 'degraded', show);
    assert.match(by('n4').reason ?? '', /^disk nearly full: 0\.0 GB free .* at \/tmp\/clusterlab-health-\d+\/n4$/);
    assert.equal(by('n5').status, 'maintenance');
    assert.match(by('n5').reason ?? '', /status: maintenance/);
    assert.ok((by('n5').ram_total_gb ?? 0) > 0, 'maintenance nodes are still measured');
    const n6 = by('n6');
    assert.equal(n6.status, 'healthy', show);
    assert.ok(n6.warnings.some((w) => /^declares 512 GB RAM, reports/.test(w)), n6.warnings.join('|'));
    assert.ok(n6.warnings.some((w) => /type raspberry_pi implies aarch64/.test(w)));
    assert.ok(n6.warnings.some((w) => /gpu: true but no GPU/.test(w)));

    assert.equal(by('n7').status, 'unavailable', show);
    assert.match(by('n7').reason ?? '', /connection refused/);
    assert.equal(by('n8').status, 'unavailable', show);
    assert.match(by('n8').reason ?? '', new RegExp(`host key changed \\(known_hosts line ${line + 1}\\b`));
    assert.match(by('n8').hint ?? '', /ssh-keygen/);
    assert.equal(by('n9').status, 'unavailable', show);
    assert.equal(by('n9').reason, 'timed out after 3 s');
    assert.equal(by('n10').status, 'unavailable', show);
    assert.match(by('n10').reason ?? '', /authentication as cltest failed/);

    // The hung node costs its own timeout only: every other node was reported well before it.
    const slow = arrival.get('n9')!;
    assert.ok(slow >= 2900 && slow < 4500, `hung node reported at ${slow} ms`);
    for (const [name, at] of arrival) if (name !== 'n9') assert.ok(at < 2500, `${name} arrived at ${at.toFixed(0)} ms, behind the hung node`);
    assert.ok(total < 4500, `whole check took ${total} ms`);
  } finally {
    cluster.nodes[8]!.resume();
    await cluster.nodes[6]!.start();
    await pool.closeAll();
  }
});

test('warm re-check reuses pooled connections; streamHealth yields fastest first', async () => {
  const nodes = configs().slice(0, 4);
  const pool = new ConnectionPool(cluster.poolOptions());
  try {
    const cold = await checkAll(nodes, pool, { timeoutMs: 5000 });
    assert.ok(cold.every((h) => h.connect_ms !== undefined), 'first check opened connections');
    const seen: NodeHealth[] = [];
    for await (const h of streamHealth(nodes, pool, { timeoutMs: 5000 })) seen.push(h);
    assert.equal(seen.length, 4);
    assert.ok(seen.every((h) => h.connect_ms === undefined), 'second check reused every connection');
    assert.ok(seen.every((h) => (h.latency_ms ?? 1e9) < 1000));
  } finally {
    await pool.closeAll();
  }
});

test('a killed node with a pooled connection: the next check reports it unavailable, the others stay healthy', async () => {
  const nodes = configs().slice(0, 3);
  const pool = new ConnectionPool({ ...cluster.poolOptions(), keepaliveIntervalMs: 500, keepaliveCountMax: 2 });
  try {
    assert.ok((await checkAll(nodes, pool, { timeoutMs: 5000 })).every((h) => h.status === 'healthy'));
    cluster.nodes[2]!.kill();
    const r = await checkAll(nodes, pool, { timeoutMs: 3000 });
    assert.equal(r[0]!.status, 'healthy');
    assert.equal(r[1]!.status, 'healthy');
    assert.equal(r[2]!.status, 'unavailable');
    assert.ok(r[2]!.reason, 'a reason is given');
  } finally {
    await cluster.nodes[2]!.start();
    await pool.closeAll();
  }
});
