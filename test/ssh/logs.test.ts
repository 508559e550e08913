// The log follower over a real sshd (through a relay) and on the local node: resume across an
// sshd restart and a downed link with 0 lines lost and 0 repeated; truncation and rotation.
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalConnection } from '../../src/remote/local';
import { LogFollower, type FollowNotice } from '../../src/remote/logs/follower';
import { ConnectionPool } from '../../src/remote/pool';
import { startSshNodes, type SshCluster } from '../harness/sshNodes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(25);
  }
}

/** Appends `line N` for N in [from, to) in bursts, optionally pausing; returns when done. */
async function writeLines(path: string, from: number, to: number, perBurst: number, pauseMs: number): Promise<void> {
  const fh = await open(path, 'a');
  try {
    for (let i = from; i < to; ) {
      const end = Math.min(to, i + perBurst);
      let s = '';
      for (; i < end; i++) s += `line ${i} ${'x'.repeat(i % 40)}\n`;
      // Split the burst mid-line sometimes so the follower sees partial tails.
      const cut = Math.floor(s.length / 2);
      await fh.write(s.slice(0, cut));
      await fh.write(s.slice(cut));
      if (pauseMs) await sleep(pauseMs);
    }
  } finally {
    await fh.close();
  }
}

function checkExact(got: string[], n: number): void {
  let lost = 0;
  let repeated = 0;
  const seen = new Uint8Array(n);
  for (const l of got) {
    const k = Number(/^line (\d+) /.exec(l)?.[1]);
    assert.ok(Number.isInteger(k) && k >= 0 && k < n, `unexpected line ${JSON.stringify(l.slice(0, 50))}`);
    assert.equal(l, `line ${k} ${'x'.repeat(k % 40)}`);
    if (seen[k]) repeated++;
    seen[k] = 1;
  }
  for (let k = 0; k < n; k++) if (!seen[k]) lost++;
  assert.equal(lost, 0, 'lines lost');
  assert.equal(repeated, 0, 'lines repeated');
  // And in order.
  for (let k = 0; k < got.length; k++) assert.ok(got[k]!.startsWith(`line ${k} `), `order at ${k}`);
}

describe('log follower', () => {
  let cluster: SshCluster;
  let pool: ConnectionPool;
  const dir = mkdtempSync(join(tmpdir(), "cl logs 'q' "));

  before(async () => {
    chmodSync(dir, 0o755);
    cluster = await startSshNodes({ count: 1, relay: true });
    pool = new ConnectionPool({ ...cluster.poolOptions(), retries: 0, keepaliveIntervalMs: 400, keepaliveCountMax: 2, connectTimeoutMs: 2000 });
  });
  after(async () => {
    await pool?.closeAll();
    await cluster?.stop();
  });

  it('over SSH: resumes across an sshd restart and a downed link, 0 lost, 0 repeated', async () => {
    const node = cluster.nodes[0]!;
    const path = join(dir, 'run one.log');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const got: string[] = [];
    const notices: FollowNotice[] = [];
    const f = new LogFollower({
      node: node.name,
      path,
      connect: () => pool.get(cluster.nodeConfig(node)),
      onLines: (b) => got.push(...b.lines),
      onNotice: (n) => notices.push(n),
      backoff: { initialMs: 100, maxMs: 500 },
    });
    const loop = f.start();
    const N = 60_000;
    await writeLines(path, 0, 10_000, 1000, 20);
    await waitFor(() => got.length >= 10_000, 10_000, 'first lines');
    // sshd restart: every session dies.
    await node.stop();
    const w1 = writeLines(path, 10_000, 25_000, 1000, 30);
    await sleep(600);
    await node.start();
    await w1;
    await waitFor(() => got.length >= 25_000, 20_000, 'after sshd restart');
    // Downed link: bytes vanish, keepalive notices, reconnect attempts time out until it is back.
    await node.relay!.drop();
    const w2 = writeLines(path, 25_000, 45_000, 1000, 40);
    await sleep(2500);
    await node.relay!.pass();
    await node.relay!.reset();
    await w2;
    await writeLines(path, 45_000, N, 5000, 0);
    await waitFor(() => got.length >= N, 30_000, `all lines (have ${got.length})`);
    await sleep(200);
    await f.stop();
    await loop;
    checkExact(got, N);
    assert.ok(notices.some((n) => n.kind === 'disconnected'), 'the drop was noticed');
    assert.ok(notices.filter((n) => n.kind === 'reconnected').length >= 2, JSON.stringify(notices));
    assert.equal(f.offset, (await open(path, 'r').then(async (h) => { const s = await h.stat(); await h.close(); return s.size; })));
  });

  it('local: truncation and rotation restart from the start of the file and say so; drain delivers the last partial line', async () => {
    const path = join(dir, 'rot.log');
    writeFileSync(path, 'a1\na2\n');
    const got: string[] = [];
    const notices: FollowNotice[] = [];
    const conn = new LocalConnection('local');
    const f = new LogFollower({ node: 'local', path, connect: async () => conn, onLines: (b) => got.push(...b.lines), onNotice: (n) => notices.push(n) });
    void f.start();
    await waitFor(() => got.length === 2, 5000, 'initial');
    truncateSync(path, 0);
    await sleep(300);
    appendFileSync(path, 'b1\n');
    await waitFor(() => got.length === 3, 5000, 'after truncation');
    renameSync(path, path + '.1');
    writeFileSync(path, 'c1\nc2\n');
    await waitFor(() => got.length === 5, 8000, 'after rotation');
    // Rotated again, with a gap before the new file exists: tail -F sees it vanish and appear.
    renameSync(path, path + '.2');
    await sleep(1500);
    writeFileSync(path, 'd1\n');
    await waitFor(() => got.length === 6, 8000, 'after rotation with a gap');
    appendFileSync(path, 'd2 no newline');
    await f.drain(3000);
    assert.deepEqual(got, ['a1', 'a2', 'b1', 'c1', 'c2', 'd1', 'd2 no newline']);
    assert.deepEqual(notices.map((n) => n.kind), ['truncated', 'rotated', 'rotated']);
  });

  it('local: resuming from a saved offset and inode notices truncation and rotation that happened while away', async () => {
    const path = join(dir, 'away.log');
    writeFileSync(path, 'x1\nx2\nx3\n');
    const conn = new LocalConnection('local');
    const first: string[] = [];
    const f1 = new LogFollower({ node: 'local', path, follow: false, connect: async () => conn, onLines: (b) => first.push(...b.lines) });
    await f1.start();
    assert.deepEqual(first, ['x1', 'x2', 'x3']);
    // Truncated while away.
    writeFileSync(path, 'y\n');
    const second: string[] = [];
    const n2: FollowNotice[] = [];
    const f2 = new LogFollower({ node: 'local', path, offset: f1.offset, inode: f1.currentInode, follow: false, connect: async () => conn, onLines: (b) => second.push(...b.lines), onNotice: (n) => n2.push(n) });
    await f2.start();
    assert.deepEqual(second, ['y']);
    assert.deepEqual(n2.map((n) => n.kind), ['truncated']);
    // Rotated while away (new inode, bigger than the old offset).
    renameSync(path, path + '.old');
    writeFileSync(path, 'z1\nz2\nz3\nz4\n');
    const third: string[] = [];
    const n3: FollowNotice[] = [];
    const f3 = new LogFollower({ node: 'local', path, offset: f2.offset, inode: f2.currentInode, follow: false, connect: async () => conn, onLines: (b) => third.push(...b.lines), onNotice: (n) => n3.push(n) });
    await f3.start();
    assert.deepEqual(third, ['z1', 'z2', 'z3', 'z4']);
    assert.deepEqual(n3.map((n) => n.kind), ['rotated']);
    // --tail N
    const last: string[] = [];
    await new LogFollower({ node: 'local', path, lastLines: 2, follow: false, connect: async () => conn, onLines: (b) => last.push(...b.lines) }).start();
    assert.deepEqual(last, ['z3', 'z4']);
  });
});
