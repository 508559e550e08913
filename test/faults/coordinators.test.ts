// Two coordinators on one workspace: two real `clusterlab monitor` processes watch a host-node
// run under `failover: {policy: restart}`. Only the lease holder restarts it (exactly one restart
// per crash); the other says who acts. When the holder is killed with SIGKILL the other takes the
// lease at once and handles the next crash, again exactly once.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import type { FailoverEvent } from '../../src/remote/failover';
import { waitFor } from './helpers';

const CLI = resolve(__dirname, '../../dist/cli.js');

class Coordinator {
  readonly proc: ChildProcessWithoutNullStreams;
  out = '';
  constructor(cwd: string) {
    this.proc = spawn(process.execPath, [CLI, 'monitor', '--json', '--interval', '1'], { cwd, stdio: 'pipe' });
    this.proc.stdout.on('data', (b: Buffer) => (this.out += b.toString()));
    this.proc.stderr.on('data', (b: Buffer) => (this.out += b.toString()));
  }
  events(name?: string): FailoverEvent[] {
    return this.out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as FailoverEvent)
      .filter((e) => name === undefined || e.event === name);
  }
}

describe('two coordinators on one workspace (clusterlab monitor × 2, host node)', () => {
  const ws = mkdtempSync(join(tmpdir(), 'cl two coordinators '));
  const ctl = join(ws, 'ctl');
  const procs: Coordinator[] = [];
  after(() => {
    for (const c of procs) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    spawnSync(process.execPath, [CLI, 'stop', '--all', '--grace', '0'], { cwd: ws, encoding: 'utf8', timeout: 30_000 });
    rmSync(ws, { recursive: true, force: true });
  });

  it('exactly one restart per crash; the watcher names the holder and takes over when it is killed', async () => {
    mkdirSync(ctl);
    const yaml = (v: unknown) => JSON.stringify(v, null, 2);
    writeFileSync(join(ws, 'cluster.yaml'), yaml({ cluster: { name: 'twins' }, nodes: [{ name: 'host', type: 'host', ram_gb: 8, max_instances: 2 }], health: { interval_seconds: 1, timeout_seconds: 20 } }));
    // Attempts 1 and 2 wait for their crash file, then exit 3; attempt 3 keeps running.
    const command = 'n=$(cat "$CTL/count" 2>/dev/null || echo 0); n=$((n+1)); echo "$n" > "$CTL/count"; echo "attempt $n"; if [ "$n" -le 2 ]; then while [ ! -f "$CTL/crash$n" ]; do sleep 0.1; done; exit 3; fi; sleep 120';
    writeFileSync(join(ws, 'exp.yaml'), yaml({ instances: [{ instance_id: 'twin', ram_gb: 0.1, command, env: { CTL: ctl }, failover: { policy: 'restart', backoff_seconds: 0.5, max_restarts: 5 } }] }));
    const run = spawnSync(process.execPath, [CLI, 'run', '--experiments', 'exp.yaml', '--placement', 'twin:host'], { cwd: ws, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const count = () => (existsSync(join(ctl, 'count')) ? Number(readFileSync(join(ctl, 'count'), 'utf8').trim()) : 0);
    await waitFor('attempt 1 running', 15_000, () => count() === 1);

    const a = new Coordinator(ws);
    procs.push(a);
    await waitFor('A holds the lease', 20_000, () => a.events('lease_acquired').length > 0);
    const b = new Coordinator(ws);
    procs.push(b);
    const watching = await waitFor('B watches', 20_000, () => b.events('lease_watching')[0]);
    assert.equal(watching.holder?.pid, a.proc.pid);
    assert.equal(watching.reason.startsWith(`failover is handled by clusterlab monitor (pid ${a.proc.pid}) on this machine; this one only watches`), true, watching.reason);
    assert.equal(b.events('lease_acquired').length, 0);
    const lock = JSON.parse(readFileSync(join(ws, '.clusterlab', 'coordinator.lock'), 'utf8')) as { pid: number; owner: string };
    assert.deepEqual([lock.pid, lock.owner], [a.proc.pid, 'clusterlab monitor']);

    // Crash 1: both see it, only A restarts.
    writeFileSync(join(ctl, 'crash1'), '');
    await waitFor('attempt 2 running', 30_000, () => count() === 2);
    await new Promise((r) => setTimeout(r, 4000)); // room for a second, wrong restart
    assert.equal(count(), 2, 'one restart only');
    assert.equal(a.events('run_restarted').length, 1, a.out);
    assert.equal(b.events('run_restarted').length, 0, b.out);

    // A killed with SIGKILL: B takes over at once (A's pid is gone) and handles crash 2.
    const killedAt = Date.now();
    a.proc.kill('SIGKILL');
    const took = await waitFor('B takes over', 10_000, () => b.events('lease_acquired')[0]);
    const takeoverS = (Date.now() - killedAt) / 1000;
    assert.match(took.reason, new RegExp(`took over from clusterlab monitor \\(pid ${a.proc.pid}\\) on this machine \\(.*no longer running\\)`));
    assert.ok(takeoverS < 5, `took over in ${takeoverS} s`);
    writeFileSync(join(ctl, 'crash2'), '');
    await waitFor('attempt 3 running', 30_000, () => count() === 3);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(count(), 3);
    assert.equal(b.events('run_restarted').length, 1, b.out);

    // B stops cleanly and frees the lease.
    b.proc.kill('SIGTERM');
    await waitFor('B exits', 20_000, () => b.proc.exitCode !== null);
    assert.equal(existsSync(join(ws, '.clusterlab', 'coordinator.lock')), false);
    const st = JSON.parse(spawnSync(process.execPath, [CLI, 'status', '--json'], { cwd: ws, encoding: 'utf8' }).stdout) as { runs: Array<{ instance_id: string; status: string; restart_count: number }> };
    const twins = st.runs.filter((r) => r.instance_id === 'twin');
    assert.deepEqual(twins.map((r) => r.status), ['failed', 'failed', 'running']);
    assert.deepEqual(twins.map((r) => r.restart_count), [0, 1, 2]);
    console.log(`two coordinators: 2 crashes → 2 restarts (1 each), takeover after SIGKILL in ${takeoverS.toFixed(2)} s`);
  });
});
