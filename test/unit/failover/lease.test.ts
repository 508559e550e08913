// The coordinator lease: pure staleness and wording, and the real lock file in a temporary
// workspace (atomic take, one holder among many, refresh, release, takeover of a dead or hung
// holder, a holder that finds its lease taken steps down).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { describeHolder, leaseStale, parseLease, watchOnlyMessage, type LeaseInfo } from '../../../src/core/failover/lease';
import { CoordinatorLease, type LeaseState } from '../../../src/remote/lease';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const info = (over: Partial<LeaseInfo> = {}): LeaseInfo => ({ pid: 1234, hostname: 'ws', owner: 'clusterlab monitor', started_at: new Date(T0).toISOString(), heartbeat_at: new Date(T0).toISOString(), token: 'abc', ...over });

describe('lease (pure)', () => {
  it('parses a lease and rejects torn or foreign files', () => {
    assert.deepEqual(parseLease(JSON.stringify(info())), info());
    assert.equal(parseLease('{"pid":12'), undefined);
    assert.equal(parseLease('null'), undefined);
    assert.equal(parseLease(JSON.stringify({ ...info(), pid: -1 })), undefined);
    assert.equal(parseLease(JSON.stringify({ ...info(), token: 3 })), undefined);
  });

  it('is stale when its pid is gone from this machine, or its heartbeat is old', () => {
    const alive = () => true;
    const dead = () => false;
    assert.deepEqual(leaseStale(info(), { now: T0 + 1000, hostname: 'ws', pidAlive: alive }), { stale: false });
    const gone = leaseStale(info(), { now: T0 + 1000, hostname: 'ws', pidAlive: dead });
    assert.equal(gone.stale, true);
    assert.match(gone.stale ? gone.why : '', /pid 1234\) is no longer running/);
    // Another machine: its pid means nothing here, only the heartbeat counts.
    assert.deepEqual(leaseStale(info({ hostname: 'other' }), { now: T0 + 14_000, hostname: 'ws', pidAlive: dead }), { stale: false });
    const old = leaseStale(info({ hostname: 'other' }), { now: T0 + 16_000, hostname: 'ws', pidAlive: dead });
    assert.equal(old.stale, true);
    assert.match(old.stale ? old.why : '', /not refreshed the lease for 16 s/);
    assert.equal(leaseStale(info(), { now: T0 + 6000, hostname: 'ws', pidAlive: alive, staleMs: 5000 }).stale, true);
    assert.equal(leaseStale(info({ heartbeat_at: 'yesterday' }), { now: T0, hostname: 'ws', pidAlive: alive }).stale, true);
  });

  it('names the holder', () => {
    assert.equal(describeHolder(info(), 'ws'), 'clusterlab monitor (pid 1234) on this machine');
    assert.equal(describeHolder(info({ owner: 'VS Code' }), 'laptop'), 'VS Code (pid 1234) on host ws');
    assert.match(watchOnlyMessage(info(), 'ws'), /^failover is handled by clusterlab monitor \(pid 1234\) on this machine; this one only watches/);
  });
});

describe('CoordinatorLease (lock file)', () => {
  const dirs: string[] = [];
  const ws = () => {
    const d = mkdtempSync(join(tmpdir(), 'cl lease '));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('one of many takes it at once; the others name the holder; release frees it for the next', async () => {
    const root = ws();
    const leases = Array.from({ length: 8 }, (_, i) => new CoordinatorLease({ rootDir: root, owner: `c${i}` }));
    const got = await Promise.all(leases.map((l) => l.ensure()));
    assert.equal(got.filter(Boolean).length, 1);
    const holder = leases[got.indexOf(true)]!;
    const onDisk = parseLease(readFileSync(join(root, '.clusterlab', 'coordinator.lock'), 'utf8'));
    assert.equal(onDisk?.owner, holder.holder?.owner);
    assert.equal(onDisk?.pid, process.pid);
    for (const l of leases) assert.equal(l.holder?.owner, holder.holder?.owner);
    // Refresh keeps it; nobody else gets it.
    assert.equal(await holder.ensure(), true);
    assert.deepEqual((await Promise.all(leases.filter((l) => l !== holder).map((l) => l.ensure()))).filter(Boolean), []);
    await holder.release();
    assert.equal(holder.held, false);
    const again = await Promise.all(leases.filter((l) => l !== holder).map((l) => l.ensure()));
    assert.equal(again.filter(Boolean).length, 1);
    for (const l of leases) await l.release();
  });

  it('takes over at once from a holder whose pid is dead on this machine', async () => {
    const root = ws();
    mkdirSync(join(root, '.clusterlab'));
    const now = new Date().toISOString();
    writeFileSync(join(root, '.clusterlab', 'coordinator.lock'), JSON.stringify(info({ pid: 999_999_9, hostname: 'me', heartbeat_at: now, started_at: now, token: 'dead' })));
    const l = new CoordinatorLease({ rootDir: root, owner: 'clusterlab monitor', hostname: 'me', pidAlive: (p) => p === process.pid });
    const seen: LeaseState[] = [];
    l.on('change', (s) => seen.push(s));
    assert.equal(await l.ensure(), true);
    const s = seen[0];
    assert.ok(s?.held);
    assert.match(s.tookOverFrom?.why ?? '', /pid 9999999\) is no longer running/);
    await l.release();
  });

  it('waits for a live holder whose heartbeat is fresh, takes over once it is older than the limit; the old holder steps down', async () => {
    const root = ws();
    let t = Date.now();
    const now = () => t;
    const a = new CoordinatorLease({ rootDir: root, owner: 'A', now, staleMs: 15_000 });
    const b = new CoordinatorLease({ rootDir: root, owner: 'B', now, staleMs: 15_000 });
    assert.equal(await a.ensure(), true);
    t += 10_000;
    assert.equal(await b.ensure(), false);
    assert.equal(b.holder?.owner, 'A');
    t += 6_000; // A hung: 16 s without a heartbeat
    assert.equal(await b.ensure(), true);
    // A wakes up, finds B's token in the file and steps down.
    const aSaw: LeaseState[] = [];
    a.on('change', (s) => aSaw.push(s));
    assert.equal(await a.ensure(), false);
    assert.equal(aSaw[0]?.held, false);
    assert.equal(!aSaw[0]?.held && aSaw[0]?.holder?.owner, 'B');
    // A's release leaves B's lease alone.
    await a.release();
    assert.equal(parseLease(readFileSync(b.path, 'utf8'))?.owner, 'B');
    await b.release();
  });

  it('an unreadable lock file is respected while fresh', async () => {
    const root = ws();
    mkdirSync(join(root, '.clusterlab'));
    writeFileSync(join(root, '.clusterlab', 'coordinator.lock'), '{"pid": 12');
    const l = new CoordinatorLease({ rootDir: root, owner: 'x' });
    assert.equal(await l.ensure(), false);
    const later = new CoordinatorLease({ rootDir: root, owner: 'x', now: () => Date.now() + 20_000 });
    assert.equal(await later.ensure(), true);
    await later.release();
  });
});
