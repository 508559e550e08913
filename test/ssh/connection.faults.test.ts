// Failure detection against real sshd nodes in network namespaces made by the test: a downed
// link and a hung node are noticed by keepalive within 5 s; a fresh connect to a downed link
// fails as unreachable or timeout; the relay adds real latency.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConnectionError } from '../../src/remote/connection';
import type { SshConnection } from '../../src/remote/ssh/sshConnection';
import { ConnectionPool } from '../../src/remote/pool';
import { startSshNodes, type SshCluster } from '../harness/sshNodes';

describe('faults in network namespaces', () => {
  let cluster: SshCluster;
  let pool: ConnectionPool;
  before(async () => {
    cluster = await startSshNodes({ count: 3, namespaces: true });
    pool = new ConnectionPool({ ...cluster.poolOptions(), retries: 0, connectTimeoutMs: 3000 });
  });
  after(async () => {
    await pool?.closeAll();
    await cluster?.stop();
  });

  it('nodes live on addresses inside the namespaces (port 22, plain known_hosts form)', async () => {
    for (const n of cluster.nodes) {
      assert.match(n.host, /^10\.231\.\d+\.\d+$/);
      assert.equal(n.port, 22);
      assert.ok(n.knownHostsLine.startsWith(`${n.host} ssh-ed25519 `));
      const conn = await pool.get(cluster.nodeConfig(n));
      assert.equal((await conn.exec('echo $SSH_CONNECTION')).stdout.toString().split(' ')[2], n.host);
    }
  });

  it('a downed link is detected by keepalive within 5 s, and in-flight commands fail as disconnected', async () => {
    const n = cluster.nodes[0]!;
    const conn = (await pool.get(cluster.nodeConfig(n))) as SshConnection;
    const drop = new Promise<number>((resolve) => conn.onDidDisconnect(() => resolve(Date.now())));
    const inflight = conn.exec('sleep 30').then(
      () => null,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    n.linkDown();
    const detectedMs = (await drop) - t0;
    assert.ok(detectedMs < 5000, `detected after ${detectedMs} ms`);
    assert.ok(detectedMs > 1500, `detected after ${detectedMs} ms: too early to be keepalive`);
    const e = await inflight;
    assert.ok(e instanceof ConnectionError && e.kind === 'disconnected', String(e));
    // a fresh connect to the downed link fails (unreachable or timeout), the node named
    await assert.rejects(pool.get(cluster.nodeConfig(n)), (err: unknown) => err instanceof ConnectionError && ['unreachable', 'timeout'].includes(err.kind) && err.message.startsWith(`node ${n.name}: `));
    n.linkUp();
    const back = await pool.get(cluster.nodeConfig(n));
    assert.equal((await back.exec('echo up')).stdout.toString(), 'up\n');
  });

  it('a hung node (sshd SIGSTOPped) is detected within 5 s', async () => {
    const n = cluster.nodes[1]!;
    const conn = (await pool.get(cluster.nodeConfig(n))) as SshConnection;
    const drop = new Promise<number>((resolve) => conn.onDidDisconnect(() => resolve(Date.now())));
    const t0 = Date.now();
    n.pause();
    try {
      const detectedMs = (await drop) - t0;
      assert.ok(detectedMs < 5000, `detected after ${detectedMs} ms`);
    } finally {
      n.resume();
    }
  });

  it('a killed node gives connection refused at once', async () => {
    const n = cluster.nodes[2]!;
    await pool.get(cluster.nodeConfig(n));
    n.kill();
    await pool.drop(n.name);
    // SIGKILL is delivered asynchronously: a connect that reaches the dying sshd's listen queue is
    // reset rather than refused. A dead machine is one whose processes are gone.
    for (const t = Date.now(); n.pids().length && Date.now() - t < 5000; ) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(n.pids(), [], 'every process of the node is gone');
    const t0 = Date.now();
    await assert.rejects(pool.get(cluster.nodeConfig(n)), (e: unknown) => e instanceof ConnectionError && e.kind === 'unreachable' && /connection refused/.test(e.message));
    assert.ok(Date.now() - t0 < 1000);
    await n.start();
    assert.equal((await (await pool.get(cluster.nodeConfig(n))).exec('echo again')).stdout.toString(), 'again\n');
  });
});

describe('latency through the relay (20 ms RTT)', () => {
  let cluster: SshCluster;
  let pool: ConnectionPool;
  before(async () => {
    cluster = await startSshNodes({ count: 1, namespaces: true, relayDelayMs: 10 });
    pool = new ConnectionPool({ ...cluster.poolOptions(), retries: 0 });
  });
  after(async () => {
    await pool?.closeAll();
    await cluster?.stop();
  });

  it('a warm exec costs about one RTT, and a stalled relay is detected by keepalive', async () => {
    const n = cluster.nodes[0]!;
    assert.equal(n.port, 2222);
    const conn = (await pool.get(cluster.nodeConfig(n))) as SshConnection;
    await conn.exec('true');
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await conn.exec('true');
      times.push(performance.now() - t0);
    }
    const best = Math.min(...times);
    assert.ok(best >= 20, `warm exec ${best.toFixed(1)} ms must include the 20 ms RTT`);
    assert.ok(best < 120, `warm exec ${best.toFixed(1)} ms`);
    const drop = new Promise<number>((resolve) => conn.onDidDisconnect(() => resolve(Date.now())));
    const t0 = Date.now();
    await n.relay!.stall();
    const detectedMs = (await drop) - t0;
    assert.ok(detectedMs < 5000, `detected after ${detectedMs} ms`);
    await n.relay!.resume();
  });
});
