// Fault injection on real sshd nodes in network namespaces, with the real monitor and failover
// loop (HealthMonitor + FailoverController, default health settings: probe every 2 s, 3 s
// timeout, down after 2 failures spanning 2 s, back after 2 successes). One shared cluster of
// three nodes; each fault has its own instance printing numbered lines. Every fault checks what
// applies: 0 log lines lost or repeated (follower vs the node's log file, and the numbered
// sequence across restarts), node marked UNAVAILABLE within 10 s and not before two failed
// probes, failover within 30 s, no duplicate copies on any node. Figures go to
// test-results/reliability.json (scripts/reliability-table.ts renders docs/reliability.md).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterFileSchema, instanceSchema, type ClusterFile, type InstanceConfig } from '../../src/core/config/schema';
import { isTerminal } from '../../src/core/runs/stateMachine';
import type { RunRecord } from '../../src/core/runs/types';
import { FailoverController, type FailoverEvent } from '../../src/remote/failover';
import { HealthMonitor } from '../../src/remote/monitor';
import { ConnectionPool } from '../../src/remote/pool';
import { ClusterSession } from '../../src/remote/session';
import { startSshNodes, type SshCluster, type SshTestNode } from '../harness/sshNodes';
import { EXPERIMENT, LineTracker, liveCopies, RESUME, sleep, sshdPids, waitFor, writeResults, type FaultRow } from './helpers';

const CLI = resolve(__dirname, '../../dist/cli.js');
const STEP = '0.05';

describe('fault injection (namespaced sshd nodes, monitor + failover)', () => {
  let cluster: SshCluster;
  let pool: ConnectionPool;
  let session: ClusterSession;
  let monitor: HealthMonitor;
  let fo: FailoverController;
  let tracker: LineTracker;
  let cfg: ClusterFile;
  const events: FailoverEvent[] = [];
  const rows: FaultRow[] = [];
  const base = `/tmp/cltest-home/clfaults-${process.pid}-${randomBytes(3).toString('hex')}`;
  const ws = mkdtempSync(join(tmpdir(), 'cl faults ws '));
  let uid = 0;
  let gid = 0;
  let tmpfsMounted = false;
  const node = (name: string): SshTestNode => cluster.nodes.find((n) => n.name === name)!;

  const inst = (id: string, failover: Record<string, unknown>, n: number): InstanceConfig =>
    instanceSchema.parse({ instance_id: id, ram_gb: 0.1, command: EXPERIMENT, env: { N: String(n), S: STEP }, failover: { checkpoint_dir: `${base}/ckpt/${id}`, ...failover } });

  const eventsAfter = (t: number, ev: string, pred: (e: FailoverEvent) => boolean = () => true) => events.filter((e) => e.event === ev && Date.parse(e.at) >= t && pred(e));
  const current = async (id: string): Promise<RunRecord | undefined> => (await session.store.list()).filter((r) => r.instance_id === id).pop();
  const finished = (id: string, ms = 40_000) =>
    waitFor(`${id} exited`, ms, async () => {
      const r = await current(id);
      return r && r.status === 'exited' ? r : undefined;
    });
  const start = async (i: InstanceConfig, on: string): Promise<RunRecord> => {
    tracker.watch(i.instance_id);
    const r = await session.start(i, on);
    tracker.track(r);
    return r;
  };

  before(async () => {
    // n2's work dir is a small tmpfs (the full-disk fault fills it), mounted before the nodes
    // start: `ip netns exec` gives each sshd its own copy of the mount table.
    mkdirSync(`${base}/n2`, { recursive: true });
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=1777', 'tmpfs', `${base}/n2`], { encoding: 'utf8' });
    assert.equal(m.status, 0, `mount tmpfs: ${m.stderr}`);
    tmpfsMounted = true;
    cluster = await startSshNodes({ count: 3, namespaces: true, relay: true });
    uid = Number(spawnSync('id', ['-u', cluster.userName], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', cluster.userName], { encoding: 'utf8' }).stdout.trim());
    for (const d of [base, `${base}/n1`, `${base}/n2`, `${base}/n3`, `${base}/ckpt`]) {
      mkdirSync(d, { recursive: true });
      chownSync(d, uid, gid);
    }
    cfg = clusterFileSchema.parse({
      cluster: { name: 'faults' },
      nodes: cluster.nodes.map((n) => ({ ...cluster.nodeConfig(n), remote_work_dir: `${base}/${n.name}`, max_instances: 4 })),
      run: { stop_grace_seconds: 1 },
    });
    pool = new ConnectionPool({ ...cluster.poolOptions(), retries: 0, connectTimeoutMs: 3000 });
    session = new ClusterSession({ rootDir: ws, clusterDir: ws, cluster: cfg, connections: pool, nodeTimeoutMs: 5000 });
    tracker = new LineTracker(session);
    monitor = new HealthMonitor({ nodes: cfg.nodes, pool, health: {} });
    fo = new FailoverController({ session, monitor });
    fo.on('event', (e) => {
      events.push(e);
      if (process.env.CLUSTERLAB_FAULTS_VERBOSE) console.log(JSON.stringify(e));
    });
    await fo.start();
  });

  after(async () => {
    try {
      writeResults(rows);
      await fo?.stop();
      await tracker?.stopAll();
      await session?.stopAll(0).catch(() => undefined);
      await pool?.closeAll();
    } finally {
      await cluster?.stop();
      if (tmpfsMounted) spawnSync('umount', ['-l', `${base}/n2`]);
      rmSync(base, { recursive: true, force: true });
      rmSync(ws, { recursive: true, force: true });
    }
  });

  function noDuplicates(id: string): number {
    const copies = liveCopies(cluster.nodes, id);
    return Math.max(0, copies.length - 1);
  }

  it('sshd killed mid-stream: the follower resumes, the run keeps going, 0 lines lost', async () => {
    const n = 120;
    const i = inst('f_sshd', { policy: 'replace', backoff_seconds: 1 }, n);
    await start(i, 'n1');
    await sleep(1500);
    const t0 = Date.now();
    for (const p of sshdPids(node('n1'))) process.kill(p, 'SIGKILL');
    await sleep(1000);
    await node('n1').start();
    const resumedAt = await waitFor('lines again', 15_000, () => (tracker.lastBatchAt > Date.now() - 200 && tracker.lastBatchAt > t0 + 1000 ? tracker.lastBatchAt : undefined), 50);
    await finished(i.instance_id);
    const c = await tracker.check(i.instance_id, n, { sequence: true });
    const down = eventsAfter(t0, 'node_down', (e) => e.node === 'n1');
    rows.push({ fault: 'sshd killed mid-stream (1 s)', detected_s: null, failed_probes_before_marked: null, recovered_s: (resumedAt - t0) / 1000, recovery: 'log follower reconnected; run untouched', lines_lost: c.lost + c.seqLost, lines_repeated: c.repeated + c.seqRepeated, runs_lost: 0, duplicate_runs: noDuplicates(i.instance_id), notes: down.length ? 'node briefly marked unavailable' : 'not marked unavailable (one failed probe at most)' });
    assert.equal(c.runs, 1, `one run, not replaced: ${c.detail}`);
    assert.deepEqual([c.lost, c.repeated, c.seqLost, c.seqRepeated], [0, 0, 0, 0]);
  });

  it('link down for 3 s then up: not failed over on a blip, 0 lines lost', async () => {
    const n = 150;
    const i = inst('f_blip', { policy: 'replace', backoff_seconds: 1 }, n);
    await start(i, 'n2');
    await sleep(1500);
    const t0 = Date.now();
    node('n2').linkDown();
    await sleep(3000);
    node('n2').linkUp();
    const resumedAt = await waitFor('lines again', 20_000, () => (tracker.lastBatchAt > t0 + 3000 ? tracker.lastBatchAt : undefined), 50);
    await finished(i.instance_id);
    const c = await tracker.check(i.instance_id, n, { sequence: false });
    const down = eventsAfter(t0, 'node_down', (e) => e.node === 'n2');
    const dup = noDuplicates(i.instance_id);
    rows.push({ fault: 'link down 3 s, then up', detected_s: down[0] ? (Date.parse(down[0].at) - t0) / 1000 : null, failed_probes_before_marked: null, recovered_s: (resumedAt - t0) / 1000, recovery: down.length ? 'marked unavailable and failed over' : 'log follower reconnected; run untouched', lines_lost: c.lost, lines_repeated: c.repeated, runs_lost: 0, duplicate_runs: dup });
    assert.deepEqual([c.lost, c.repeated], [0, 0]);
    assert.equal(dup, 0);
    if (!down.length) assert.equal(c.runs, 1, 'a 3 s blip is not a lost node');
  });

  it('lossy, stalling link (relay drops and stalls): no false UNAVAILABLE, 0 lines lost', async () => {
    const n = 200;
    const i = inst('f_lossy', { policy: 'replace', backoff_seconds: 1 }, n);
    const relay = node('n3').relay!;
    await start(i, 'n3');
    await sleep(1000);
    const t0 = Date.now();
    for (let k = 0; k < 2; k++) {
      await relay.stall();
      await sleep(1200);
      await relay.resume();
      await sleep(800);
      await relay.drop();
      await sleep(1000);
      await relay.pass();
      await sleep(800);
    }
    await relay.reset();
    const tEnd = Date.now();
    const resumedAt = await waitFor('lines again', 20_000, () => (tracker.lastBatchAt > tEnd ? tracker.lastBatchAt : undefined), 20);
    await finished(i.instance_id);
    const c = await tracker.check(i.instance_id, n, { sequence: true });
    const down = eventsAfter(t0, 'node_down', (e) => e.node === 'n3');
    rows.push({ fault: 'lossy, stalling link (2 × 1.2 s stall + 1 s drop)', detected_s: null, failed_probes_before_marked: null, recovered_s: (resumedAt - tEnd) / 1000, recovery: 'log follower reconnected; run untouched', lines_lost: c.lost + c.seqLost, lines_repeated: c.repeated + c.seqRepeated, runs_lost: 0, duplicate_runs: noDuplicates(i.instance_id), notes: `faults over ${((tEnd - t0) / 1000).toFixed(1)} s; recovered_s counted from the end of the last one; node_down events: ${down.length}` });
    assert.equal(down.length, 0, 'short stalls and drops never mark the node unavailable');
    assert.equal(c.runs, 1);
    assert.deepEqual([c.lost, c.repeated, c.seqLost, c.seqRepeated], [0, 0, 0, 0]);
  });

  it('remote process killed with -9: crashed, restarted on the same node with resume_command, sequence intact', async () => {
    const n = 100;
    const i = inst('f_kill9', { policy: 'restart', backoff_seconds: 1, max_restarts: 2, resume_command: RESUME }, n);
    const r = await start(i, 'n1');
    await sleep(2000);
    const t0 = Date.now();
    process.kill(-(await waitFor('pgid', 5000, async () => (await session.store.get(r.run_id))?.pgid)), 'SIGKILL');
    const restarted = await waitFor('restarted', 30_000, () => eventsAfter(t0, 'run_restarted', (e) => e.instance_id === i.instance_id)[0]);
    const done = await finished(i.instance_id);
    const c = await tracker.check(i.instance_id, n, { sequence: true });
    const old = await session.store.get(r.run_id);
    rows.push({ fault: 'remote process killed with -9', detected_s: null, failed_probes_before_marked: null, recovered_s: (Date.parse(restarted.at) - t0) / 1000, recovery: 'crashed → restarted on the same node (resume_command, backoff 1 s)', lines_lost: c.lost + c.seqLost, lines_repeated: c.repeated + c.seqRepeated, runs_lost: 0, duplicate_runs: noDuplicates(i.instance_id) });
    assert.equal(old?.status, 'crashed');
    assert.ok(old?.transitions.some((t) => t.to === 'crashed' && /without an exit code/.test(t.reason)));
    assert.equal(done.node, 'n1');
    assert.equal(done.restart_count, 1);
    assert.match(done.transitions[0]!.reason, /restarts run .*crashed; restart 1 of 2 on n1 with resume_command/);
    assert.match(done.command, /resumed at/);
    assert.deepEqual([c.lost, c.repeated, c.seqLost, c.seqRepeated], [0, 0, 0, 0]);
  });

  it('full disk on the remote work dir: the run fails there and is placed on another node, resuming', async () => {
    const n = 120;
    const i = inst('f_disk', { policy: 'replace', backoff_seconds: 1, max_restarts: 3, resume_command: RESUME }, n);
    const r = await start(i, 'n2');
    await sleep(1500);
    const t0 = Date.now();
    spawnSync('sh', ['-c', `dd if=/dev/zero of=${base}/n2/fill bs=4k 2>/dev/null; true`]);
    const moved = await waitFor('replaced', 30_000, () => eventsAfter(t0, 'run_replaced', (e) => e.instance_id === i.instance_id)[0]);
    const done = await finished(i.instance_id);
    rmSync(`${base}/n2/fill`, { force: true });
    const c = await tracker.check(i.instance_id, n, { sequence: true });
    const old = await session.store.get(r.run_id);
    rows.push({ fault: 'full disk on the remote work dir (512 KB tmpfs)', detected_s: null, failed_probes_before_marked: null, recovered_s: (Date.parse(moved.at) - t0) / 1000, recovery: `run ${old?.status} on n2 → placed again on ${done.node} (resume_command)`, lines_lost: c.lost + c.seqLost, lines_repeated: c.repeated + c.seqRepeated, runs_lost: 0, duplicate_runs: noDuplicates(i.instance_id) });
    assert.ok(old && (old.status === 'crashed' || old.status === 'failed'), old?.status);
    assert.notEqual(done.node, 'n2');
    assert.deepEqual([c.lost, c.repeated, c.seqLost, c.seqRepeated], [0, 0, 0, 0]);
  });

  it('link down for good: UNAVAILABLE within 10 s after ≥ 2 failed probes, replaced within 30 s; stale copy stopped when it returns', async () => {
    const n = 300;
    // Checkpoints under the node's own work dir (nodes share no disk): the moved copy starts over,
    // and the partitioned old copy keeps running until its node answers again.
    const i = instanceSchema.parse({ instance_id: 'f_gone', ram_gb: 0.1, command: EXPERIMENT, env: { N: String(n), S: STEP }, failover: { policy: 'replace', backoff_seconds: 1, checkpoint_dir: 'ckpt/f_gone' } });
    const r = await start(i, 'n3');
    await sleep(1500);
    const t0 = Date.now();
    node('n3').linkDown();
    const down = await waitFor('node_down', 15_000, () => eventsAfter(t0, 'node_down', (e) => e.node === 'n3')[0]);
    const detected = (Date.parse(down.at) - t0) / 1000;
    const failures = Number(/\((\d+) failed probes/.exec(down.reason)?.[1]);
    const moved = await waitFor('replaced', 30_000, () => eventsAfter(t0, 'run_replaced', (e) => e.instance_id === i.instance_id)[0]);
    const movedRun = await waitFor('new run running', 10_000, async () => {
      const x = await session.store.get(moved.new_run_id!);
      return x?.status === 'running' ? x : undefined;
    });
    const recovered = (Date.parse(movedRun.transitions.find((t) => t.to === 'running')!.at) - t0) / 1000;
    const lostRec = await session.store.get(r.run_id);
    assert.equal(lostRec?.status, 'lost');
    // While partitioned, the old copy still runs on n3 (split brain); bring the link back.
    node('n3').linkUp();
    const stale = await waitFor('stale copy stopped', 30_000, () => eventsAfter(t0, 'run_stopped_stale', (e) => e.run_id === r.run_id)[0]);
    await waitFor('one copy left', 10_000, () => liveCopies(cluster.nodes, i.instance_id).length <= 1);
    const dup = noDuplicates(i.instance_id);
    await finished(i.instance_id, 60_000);
    const c = await tracker.check(i.instance_id, n, { sequence: false });
    rows.push({ fault: 'link down for good (back after failover)', detected_s: detected, failed_probes_before_marked: failures, recovered_s: recovered, recovery: `lost → placed again on ${movedRun.node}; stale copy on n3 stopped ${((Date.parse(stale.at) - t0) / 1000).toFixed(1)} s after the fault, once the link returned`, lines_lost: c.lost, lines_repeated: c.repeated, runs_lost: 0, duplicate_runs: dup });
    assert.ok(detected <= 10, `detected after ${detected} s`);
    assert.ok(failures >= 2, `${failures} failed probes`);
    assert.ok(recovered <= 30, `running again after ${recovered} s`);
    assert.notEqual(movedRun.node, 'n3');
    assert.equal((await session.store.get(r.run_id))?.status, 'stopped');
    assert.equal(dup, 0);
    assert.deepEqual([c.lost, c.repeated], [0, 0]);
  });

  it('simulated node reboot (every process gone, sshd back): restart policy restarts it there once it returns', async () => {
    const n = 120;
    const i = inst('f_reboot', { policy: 'restart', backoff_seconds: 1, resume_command: RESUME }, n);
    const r = await start(i, 'n3');
    await sleep(1500);
    const t0 = Date.now();
    node('n3').kill();
    const down = await waitFor('node_down', 15_000, () => eventsAfter(t0, 'node_down', (e) => e.node === 'n3')[0]);
    const failures = Number(/\((\d+) failed probes/.exec(down.reason)?.[1]);
    await sleep(1000);
    await node('n3').start();
    const restarted = await waitFor('restarted', 30_000, () => eventsAfter(t0, 'run_restarted', (e) => e.instance_id === i.instance_id)[0]);
    const done = await finished(i.instance_id);
    const c = await tracker.check(i.instance_id, n, { sequence: true });
    const old = await session.store.get(r.run_id);
    rows.push({ fault: 'node reboot (all processes killed, sshd back ~1 s after detection)', detected_s: (Date.parse(down.at) - t0) / 1000, failed_probes_before_marked: failures, recovered_s: (Date.parse(restarted.at) - t0) / 1000, recovery: 'lost → crashed when the node answered again → restarted there (resume_command)', lines_lost: c.lost + c.seqLost, lines_repeated: c.repeated + c.seqRepeated, runs_lost: 0, duplicate_runs: noDuplicates(i.instance_id) });
    assert.deepEqual(old?.transitions.map((t) => t.to), ['starting', 'running', 'lost', 'crashed']);
    assert.equal(done.node, 'n3');
    assert.equal(done.restart_count, 1);
    assert.ok((Date.parse(down.at) - t0) / 1000 <= 10);
    assert.ok(failures >= 2);
    assert.deepEqual([c.lost, c.repeated, c.seqLost, c.seqRepeated], [0, 0, 0, 0]);
  });

  it('coordinator (run --follow) killed with SIGKILL and restarted as monitor: every run reattached, no duplicate, 0 lines lost', async () => {
    // Its own workspace, so only the CLI acts on these runs.
    const cws = mkdtempSync(join(tmpdir(), 'cl faults cli '));
    try {
      const nodes = cluster.nodes.slice(0, 2).map((x) => ({ name: x.name, host: x.host, ssh_port: x.port, ssh_user: x.userName, ssh_key_path: x.keyPath, ram_gb: 8, max_instances: 4, remote_work_dir: `${base}/cli-${x.name}` }));
      for (const x of nodes) {
        mkdirSync(x.remote_work_dir, { recursive: true });
        chownSync(x.remote_work_dir, uid, gid);
      }
      const yaml = (v: unknown) => JSON.stringify(v, null, 2);
      writeFileSync(join(cws, 'cluster.yaml'), yaml({ cluster: { name: 'cli' }, nodes, deploy: { exclude: ['.clusterlab'] } }));
      const n = 200;
      const ids = ['c_a', 'c_b'];
      writeFileSync(join(cws, 'exp.yaml'), yaml({ instances: ids.map((id) => ({ instance_id: id, ram_gb: 0.1, command: EXPERIMENT, env: { N: String(n), S: STEP }, failover: { policy: 'restart', checkpoint_dir: `${base}/ckpt/${id}` } })) }));
      const flags = ['--known-hosts', cluster.knownHostsPath, '--ssh-config', cluster.sshConfigPath];
      const first = spawn(process.execPath, [CLI, 'run', '--experiments', 'exp.yaml', '--placement', 'c_a:n1,c_b:n2', '--follow', ...flags], { cwd: cws, stdio: ['ignore', 'pipe', 'pipe'] });
      let out1 = '';
      first.stdout.on('data', (b: Buffer) => (out1 += b.toString()));
      first.stderr.on('data', (b: Buffer) => (out1 += b.toString()));
      await waitFor('both following', 30_000, () => ids.every((id) => out1.includes(`[${id}@`) && out1.includes('line 5')), 100).catch((e: Error) => {
        throw new Error(`${e.message}\n${out1}`);
      });
      const t0 = Date.now();
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      await sleep(1500);
      const second = spawnSync(process.execPath, [CLI, 'monitor', '--json', '--duration', '4', ...flags], { cwd: cws, encoding: 'utf8', timeout: 60_000 });
      assert.equal(second.status, 0, second.stderr);
      const evs = second.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as FailoverEvent);
      const reattached = evs.filter((e) => e.event === 'run_reattached');
      const recoveredS = reattached.length ? (Math.max(...reattached.map((e) => Date.parse(e.at))) - t0) / 1000 : null;
      const dup = ids.reduce((s, id) => s + Math.max(0, liveCopies(cluster.nodes, id).length - 1), 0);
      // Let them finish, then compare every node's log file with the numbered sequence.
      const logs = (id: string, node: string) => spawnSync('cat', [`${base}/cli-${node}/logs/${id}.log`], { encoding: 'utf8' }).stdout;
      await waitFor('runs done', 40_000, () => ids.every((id, k) => logs(id, `n${k + 1}`).includes(`line ${n}\n`)));
      let lost = 0;
      let repeated = 0;
      ids.forEach((id, k) => {
        const nums = logs(id, `n${k + 1}`).split('\n').filter((l) => l.startsWith('line ')).map((l) => Number(l.slice(5)));
        for (let j = 1; j <= n; j++) {
          const cnt = nums.filter((x) => x === j).length;
          if (cnt === 0) lost++;
          if (cnt > 1) repeated += cnt - 1;
        }
        // What the killed CLI printed is a prefix of that sequence.
        const printed = out1.split('\n').filter((l) => l.startsWith(`[${id}@`) && l.includes('] line ')).map((l) => Number(l.split('] line ')[1]));
        printed.forEach((v, x) => assert.equal(v, x + 1, `${id}: printed lines in order`));
      });
      const st = JSON.parse(spawnSync(process.execPath, [CLI, 'status', '--json', ...flags], { cwd: cws, encoding: 'utf8' }).stdout) as { runs: Array<{ instance_id: string; status: string; restart_count: number }> };
      rows.push({ fault: 'coordinator (CLI) killed with SIGKILL, restarted', detected_s: null, failed_probes_before_marked: null, recovered_s: recoveredS, recovery: `${reattached.length}/${ids.length} runs reattached by "clusterlab monitor"`, lines_lost: lost, lines_repeated: repeated, runs_lost: ids.length - reattached.length, duplicate_runs: dup });
      assert.equal(reattached.length, ids.length, second.stdout);
      assert.equal(dup, 0);
      assert.deepEqual([lost, repeated], [0, 0]);
      assert.ok(st.runs.every((r) => r.restart_count === 0), 'nothing was restarted: the runs were never down');
      assert.equal(st.runs.length, ids.length);
    } finally {
      spawnSync(process.execPath, [CLI, 'stop', '--all', '--known-hosts', cluster.knownHostsPath, '--ssh-config', cluster.sshConfigPath], { cwd: cws, encoding: 'utf8', timeout: 30_000 });
      rmSync(cws, { recursive: true, force: true });
    }
  });

  it('every run of the suite is accounted for: none lost, no live copy left running twice', async () => {
    const all = await session.store.list();
    for (const id of new Set(all.map((r) => r.instance_id))) {
      const last = all.filter((r) => r.instance_id === id).pop()!;
      assert.ok(isTerminal(last.status), `${id}: ${last.status}`);
      assert.equal(last.status, 'exited', `${id} ended ${last.status}`);
      assert.equal(liveCopies(cluster.nodes, id).length, 0);
    }
  });
});
