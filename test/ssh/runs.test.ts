// Runs through ClusterSession on a real sshd node and on the local `type: host` node: start,
// exit codes, process-group stop, refusal, crash, lost and back, ids and paths with spaces and
// quotes.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterFileSchema, instanceSchema, type ClusterFile } from '../../src/core/config/schema';
import { ClusterLabError } from '../../src/core/errors';
import { sh } from '../../src/core/shell';
import { isTerminal } from '../../src/core/runs/stateMachine';
import type { RunRecord } from '../../src/core/runs/types';
import { ConnectionPool } from '../../src/remote/pool';
import { ClusterSession } from '../../src/remote/session';
import { startSshNodes, type SshCluster } from '../harness/sshNodes';

const ODD_ID = `it's a "run" $(x)`;

async function waitStatus(s: ClusterSession, runId: string, pred: (r: RunRecord) => boolean, ms = 15_000): Promise<RunRecord> {
  const t0 = Date.now();
  for (;;) {
    await s.reconcile();
    const r = await s.store.get(runId);
    if (r && pred(r)) return r;
    if (Date.now() - t0 > ms) throw new Error(`run ${runId} still ${r?.status} after ${ms} ms`);
    await new Promise((res) => setTimeout(res, 150));
  }
}

const inst = (id: string, command: string, env: Record<string, string> = {}) => instanceSchema.parse({ instance_id: id, ram_gb: 0.1, command, env });

describe('runs on a real sshd node and on the local host node', () => {
  let cluster: SshCluster;
  let pool: ConnectionPool;
  const sessions: Record<string, ClusterSession> = {};
  const ws = mkdtempSync(join(tmpdir(), "cl runs ws '"));
  const hostDir = mkdtempSync(join(tmpdir(), 'cl host "dir" '));

  before(async () => {
    cluster = await startSshNodes({ count: 1, relay: true });
    pool = new ConnectionPool({ ...cluster.poolOptions(), retries: 0, keepaliveIntervalMs: 500, keepaliveCountMax: 2, connectTimeoutMs: 3000 });
    chmodSync(hostDir, 0o755);
    const cfg: ClusterFile = clusterFileSchema.parse({
      cluster: { name: 't' },
      nodes: [
        { ...cluster.nodeConfig(cluster.nodes[0]!), remote_work_dir: `~/work dir 'q' ${process.pid}` },
        { name: 'local', type: 'host', ram_gb: 4 },
      ],
      run: { stop_grace_seconds: 2 },
    });
    for (const node of ['n1', 'local']) {
      sessions[node] = new ClusterSession({ rootDir: join(ws, node), clusterDir: hostDir, cluster: cfg, connections: pool, nodeTimeoutMs: 5000 });
    }
  });
  after(async () => {
    await pool?.closeAll();
    await cluster?.stop();
  });

  for (const node of ['n1', 'local']) {
    it(`${node}: exit 0 → exited, exit 3 → failed, env and quoted ids reach the command`, async () => {
      const s = sessions[node]!;
      const ok = await s.start(inst(ODD_ID, 'echo "id=$CLUSTERLAB_INSTANCE_ID node=$CLUSTERLAB_NODE" {instance_id}; pwd'), node);
      assert.equal(ok.status, 'running');
      const done = await waitStatus(s, ok.run_id, (r) => isTerminal(r.status));
      assert.equal(done.status, 'exited');
      assert.equal(done.exit_code, 0);
      const lines: string[] = [];
      const f = s.followLogs(done, (b) => lines.push(...b.lines), { follow: false });
      await f.start();
      assert.deepEqual(lines, [`id=${ODD_ID} node=${node} ${ODD_ID}`, done.remote_work_dir]);
      assert.match(done.remote_work_dir, node === 'n1' ? /\/work dir 'q' \d+$/ : /cl host "dir" /);

      const bad = await s.start(inst('fails', 'echo about to fail; exit 3'), node);
      const b = await waitStatus(s, bad.run_id, (r) => isTerminal(r.status));
      assert.equal(b.status, 'failed');
      assert.equal(b.exit_code, 3);
      assert.deepEqual(b.transitions.map((t) => t.to), ['starting', 'running', 'failed']);
    });

    it(`${node}: refuses a second start, stop kills the whole process group (children too)`, async () => {
      const s = sessions[node]!;
      const r = await s.start(inst('long one', 'sleep 300 & echo $! > child.pid; trap "" TERM; while :; do sleep 0.2; done'), node);
      await assert.rejects(s.start(inst('long one', 'true'), node), (e: unknown) => e instanceof ClusterLabError && /already running/.test(e.message) && /clusterlab stop/.test(e.message));
      const conn = await pool.get(s.node(node));
      const childPid = Number((await conn.exec(sh`cat ${r.remote_work_dir}/child.pid`)).stdout.toString().trim());
      assert.ok(childPid > 0);
      const t0 = Date.now();
      const stopped = await s.stop('long one');
      assert.equal(stopped.status, 'stopped');
      assert.match(stopped.transitions.at(-1)!.reason, /SIGKILL/); // it ignores SIGTERM
      assert.ok(Date.now() - t0 >= 1900, 'waited for the grace period');
      const alive = await conn.exec(`kill -0 ${childPid} 2>/dev/null && echo alive || echo gone`);
      assert.equal(alive.stdout.toString().trim(), 'gone');
      // Stopped again: nothing to do, a clear message.
      await assert.rejects(s.stop('long one'), /not running/);
      // Now it may start again.
      const again = await s.start(inst('long one', 'sleep 0.2'), node);
      await waitStatus(s, again.run_id, (x) => x.status === 'exited');
    });

    it(`${node}: a process killed with SIGKILL is crashed (no exit code)`, async () => {
      const s = sessions[node]!;
      const r = await s.start(inst('victim', 'sleep 300'), node);
      const conn = await pool.get(s.node(node));
      await conn.exec(`kill -KILL -- -${r.pgid}`);
      const c = await waitStatus(s, r.run_id, (x) => isTerminal(x.status));
      assert.equal(c.status, 'crashed');
      assert.equal(c.exit_code, undefined);
    });
  }

  it('n1: unreachable node → lost, reachable again → running, then exited', async () => {
    const s = sessions.n1!;
    const r = await s.start(inst('survivor', 'sleep 3; echo done'), 'n1');
    const node = cluster.nodes[0]!;
    await node.stop();
    try {
      const lost = await waitStatus(s, r.run_id, (x) => x.status === 'lost', 10_000);
      assert.match(lost.transitions.at(-1)!.reason, /unreachable/);
    } finally {
      await node.start();
    }
    const back = await waitStatus(s, r.run_id, (x) => x.status !== 'lost', 10_000);
    assert.ok(back.status === 'running' || back.status === 'exited', back.status);
    const end = await waitStatus(s, r.run_id, (x) => isTerminal(x.status));
    assert.equal(end.status, 'exited');
    assert.deepEqual(end.transitions.map((t) => t.to).slice(0, 4), ['starting', 'running', 'lost', 'running'].slice(0, back.status === 'running' ? 4 : 3));
  });
});
