// CoordinatorLease: `<workspace>/.clusterlab/coordinator.lock`, held by the one coordinator
// (clusterlab monitor, clusterlab run --follow, VS Code) that may act on failures. The others
// watch. Taken atomically (the JSON is written to a temporary file and hard-linked into place:
// link fails if the lock exists), refreshed every few seconds, released on stop; a stale lease
// (holder's pid gone from this machine, or heartbeat older than 15 s) is taken over under a
// short takeover mutex so two watchers never both take it.
//
//   const lease = new CoordinatorLease({ rootDir, owner: 'clusterlab monitor' });
//   lease.on('change', (s) => …);        // { held: true, tookOverFrom? } | { held: false, holder? }
//   await lease.ensure();                // true when this one holds it (refreshes or tries to take it)
//   lease.start();                       // heartbeat timer (unref'd)
//   await lease.release();               // stop the timer, remove the file if it is ours
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LEASE_HEARTBEAT_MS, DEFAULT_LEASE_STALE_MS, leaseStale, parseLease, type LeaseInfo } from '../core/failover/lease';

export interface LeaseOptions {
  /** Workspace folder: the lock is <rootDir>/.clusterlab/coordinator.lock. */
  rootDir: string;
  /** "clusterlab monitor", "clusterlab run --follow", "VS Code". */
  owner: string;
  staleMs?: number;
  heartbeatMs?: number;
  now?: () => number;
  /** Defaults to this process and machine (tests may pose as another holder). */
  pid?: number;
  hostname?: string;
  pidAlive?: (pid: number) => boolean;
}

export type LeaseState = { held: true; info: LeaseInfo; tookOverFrom?: { holder?: LeaseInfo; why: string } } | { held: false; holder?: LeaseInfo };

export interface LeaseEvents {
  /** The lease came to this one, went elsewhere, or its holder changed. */
  change: [LeaseState];
}

/** Whether a process runs on this machine (EPERM: it does, as another user). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const TAKEOVER_MUTEX_STALE_MS = 10_000;

export class CoordinatorLease extends EventEmitter<LeaseEvents> {
  readonly path: string;
  readonly hostname: string;
  private readonly dir: string;
  private readonly token = randomBytes(8).toString('hex');
  private readonly pid: number;
  private readonly now: () => number;
  private readonly alive: (pid: number) => boolean;
  private startedAt: string | undefined;
  private state: LeaseState = { held: false };
  private lastSaid = '';
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private released = false;

  constructor(private readonly opts: LeaseOptions) {
    super();
    this.dir = join(opts.rootDir, '.clusterlab');
    this.path = join(this.dir, 'coordinator.lock');
    this.hostname = opts.hostname ?? osHostname();
    this.pid = opts.pid ?? process.pid;
    this.now = opts.now ?? Date.now;
    this.alive = opts.pidAlive ?? pidAlive;
  }

  get held(): boolean {
    return this.state.held;
  }

  /** The current holder as last seen (this one when held). */
  get holder(): LeaseInfo | undefined {
    return this.state.held ? this.state.info : this.state.holder;
  }

  /** Refresh the lease when held, or try to take it when free or stale. True when held after. */
  ensure(): Promise<boolean> {
    const next = this.chain.then(() => this.ensureNow());
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Heartbeat every few seconds until release(). */
  start(): void {
    if (this.timer) return;
    this.released = false;
    this.timer = setInterval(() => void this.ensure().catch(() => undefined), this.opts.heartbeatMs ?? DEFAULT_LEASE_HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Stop the heartbeat and remove the lock if this one holds it. */
  async release(): Promise<void> {
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.chain;
    if (!this.state.held) return;
    const cur = await this.read();
    if (cur.info?.token === this.token) await fsp.unlink(this.path).catch(() => undefined);
    this.set({ held: false });
  }

  private info(): LeaseInfo {
    const at = new Date(this.now()).toISOString();
    this.startedAt ??= at;
    return { pid: this.pid, hostname: this.hostname, owner: this.opts.owner, started_at: this.startedAt, heartbeat_at: at, token: this.token };
  }

  private set(s: LeaseState): void {
    const h = s.held ? `held:${s.info.token}` : `free:${s.holder?.token ?? '-'}`;
    this.state = s;
    if (h === this.lastSaid) return;
    this.lastSaid = h;
    this.emit('change', s);
  }

  private async ensureNow(): Promise<boolean> {
    if (this.released) return false;
    await fsp.mkdir(this.dir, { recursive: true });
    if (this.state.held) {
      const cur = await this.read();
      if (cur.info?.token === this.token) {
        await this.writeOver(this.info());
        return true;
      }
      // Someone took it (this one hung past the stale limit), or it was removed.
      if (cur.info) {
        this.set({ held: false, holder: cur.info });
        return false;
      }
    }
    return this.acquire();
  }

  private async acquire(tookOverFrom?: { holder?: LeaseInfo; why: string }): Promise<boolean> {
    const mine = this.info();
    if (await this.linkNew(this.path, JSON.stringify(mine, null, 2) + '\n')) {
      this.set({ held: true, info: mine, ...(tookOverFrom ? { tookOverFrom } : {}) });
      return true;
    }
    const cur = await this.read();
    if (cur.missing) return false; // released between our link and read: next look takes it
    const stale = cur.info
      ? leaseStale(cur.info, { now: this.now(), hostname: this.hostname, pidAlive: this.alive, staleMs: this.opts.staleMs ?? DEFAULT_LEASE_STALE_MS })
      : this.now() - cur.mtimeMs > (this.opts.staleMs ?? DEFAULT_LEASE_STALE_MS)
        ? { stale: true as const, why: 'the lease file is unreadable and old' }
        : { stale: false as const };
    if (!stale.stale || tookOverFrom) {
      this.set({ held: false, ...(cur.info ? { holder: cur.info } : {}) });
      return false;
    }
    // Stale: take it over under the takeover mutex, re-checking that it is still the same lease.
    const mutex = `${this.path}.takeover`;
    if (!(await this.linkNew(mutex, `${this.pid}\n`))) {
      const st = await fsp.stat(mutex).catch(() => undefined);
      if (st && this.now() - st.mtimeMs > TAKEOVER_MUTEX_STALE_MS) await fsp.unlink(mutex).catch(() => undefined);
      this.set({ held: false, ...(cur.info ? { holder: cur.info } : {}) });
      return false;
    }
    try {
      const again = await this.read();
      const same = again.missing || (cur.info ? again.info?.token === cur.info.token && again.info.heartbeat_at === cur.info.heartbeat_at : again.info === undefined && again.mtimeMs === cur.mtimeMs);
      if (!same) {
        this.set({ held: false, ...(again.info ? { holder: again.info } : {}) });
        return false;
      }
      if (!again.missing) await fsp.unlink(this.path).catch(() => undefined);
      return await this.acquire({ ...(cur.info ? { holder: cur.info } : {}), why: stale.why });
    } finally {
      await fsp.unlink(mutex).catch(() => undefined);
    }
  }

  /** Create `path` with `text` atomically; false when it exists. */
  private async linkNew(path: string, text: string): Promise<boolean> {
    const tmp = `${path}.tmp-${this.pid}-${randomBytes(4).toString('hex')}`;
    await fsp.writeFile(tmp, text);
    try {
      await fsp.link(tmp, path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      await fsp.unlink(tmp).catch(() => undefined);
    }
  }

  private async writeOver(info: LeaseInfo): Promise<void> {
    const tmp = `${this.path}.tmp-${this.pid}-${randomBytes(4).toString('hex')}`;
    await fsp.writeFile(tmp, JSON.stringify(info, null, 2) + '\n');
    await fsp.rename(tmp, this.path);
    this.state = { held: true, info };
  }

  private async read(): Promise<{ missing: true; info?: undefined; mtimeMs: 0 } | { missing: false; info: LeaseInfo | undefined; mtimeMs: number }> {
    try {
      const [text, st] = await Promise.all([fsp.readFile(this.path, 'utf8'), fsp.stat(this.path)]);
      return { missing: false, info: parseLease(text), mtimeMs: st.mtimeMs };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true, mtimeMs: 0 };
      throw e;
    }
  }
}
