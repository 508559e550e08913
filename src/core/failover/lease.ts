// The coordinator lease: which of several coordinators watching one workspace (clusterlab
// monitor, clusterlab run --follow, VS Code) may act on failures (restart, replace, stop stale
// copies, give up). Pure: parsing, staleness and wording. The file handling is
// src/remote/lease.ts.
//
//   const l = parseLease(text);                  // LeaseInfo | undefined (torn or foreign file)
//   leaseStale(l, { now, hostname, pidAlive })   // { stale: true, why: 'pid 1234 is gone' } | { stale: false }
//   describeHolder(l, hostname)                  // 'clusterlab monitor (pid 1234) on this machine'

export interface LeaseInfo {
  pid: number;
  hostname: string;
  /** Who holds it, for people: "clusterlab monitor", "VS Code". */
  owner: string;
  started_at: string;
  heartbeat_at: string;
  /** Random per holder: tells two holders with the same pid (or a reused pid) apart. */
  token: string;
}

/** A lease whose heartbeat is older than this is free for the taking. */
export const DEFAULT_LEASE_STALE_MS = 15_000;
/** How often the holder refreshes its heartbeat. */
export const DEFAULT_LEASE_HEARTBEAT_MS = 3_000;

export function parseLease(text: string): LeaseInfo | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const pid = o.pid;
  const hostname = str('hostname');
  const owner = str('owner');
  const started = str('started_at');
  const heartbeat = str('heartbeat_at');
  const token = str('token');
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (hostname === undefined || owner === undefined || started === undefined || heartbeat === undefined || token === undefined) return undefined;
  return { pid, hostname, owner, started_at: started, heartbeat_at: heartbeat, token };
}

export interface StaleInput {
  now: number;
  /** This machine's hostname: a holder on it can be checked by pid. */
  hostname: string;
  /** Whether a pid runs on this machine (only asked for holders on this machine). */
  pidAlive: (pid: number) => boolean;
  staleMs?: number;
}

export type Staleness = { stale: false } | { stale: true; why: string };

/**
 * A lease is stale (free for the taking) when its holder's process is gone from this machine, or
 * its heartbeat is older than `staleMs` (a holder on another machine, or one that hangs).
 */
export function leaseStale(l: LeaseInfo, input: StaleInput): Staleness {
  const staleMs = input.staleMs ?? DEFAULT_LEASE_STALE_MS;
  if (l.hostname === input.hostname && !input.pidAlive(l.pid)) return { stale: true, why: `${l.owner} (pid ${l.pid}) is no longer running` };
  const beat = Date.parse(l.heartbeat_at);
  if (!Number.isFinite(beat)) return { stale: true, why: `the lease of ${l.owner} (pid ${l.pid}) has no valid heartbeat` };
  const age = input.now - beat;
  if (age > staleMs) return { stale: true, why: `${l.owner} (pid ${l.pid}) has not refreshed the lease for ${Math.round(age / 1000)} s` };
  return { stale: false };
}

/** "clusterlab monitor (pid 1234) on this machine" / "VS Code (pid 99) on host ws2". */
export function describeHolder(l: LeaseInfo, hostname: string): string {
  return `${l.owner} (pid ${l.pid}) ${l.hostname === hostname ? 'on this machine' : `on host ${l.hostname}`}`;
}

/** What a coordinator that does not hold the lease says, once. */
export function watchOnlyMessage(holder: LeaseInfo, hostname: string): string {
  return `failover is handled by ${describeHolder(holder, hostname)}; this one only watches (it takes over when that one stops)`;
}
