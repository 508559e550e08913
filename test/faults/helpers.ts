// Shared by the fault-injection suite: numbered-line experiments, per-run log followers whose
// lines are checked against the log files on the nodes (0 lost, 0 repeated), processes per
// instance on every node, and the measured figures written to test-results/reliability.json.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RunRecord } from '../../src/core/runs/types';
import type { LogFollower } from '../../src/remote/logs/follower';
import type { ClusterSession } from '../../src/remote/session';
import type { SshTestNode } from '../harness/sshNodes';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, ms: number, fn: () => Promise<T | undefined | false> | T | undefined | false, everyMs = 100): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(everyMs);
  }
}

/** Prints `line 1` … `line $N` every $S s, checkpointing the step (set -e: a failed write ends it). */
export const EXPERIMENT = 'set -e; c={checkpoint_dir}; mkdir -p "$c"; i=$(cat "$c/step" 2>/dev/null || echo 0); while [ "$i" -lt "$N" ]; do i=$((i+1)); echo "line $i"; echo "$i" > "$c/step.tmp"; mv "$c/step.tmp" "$c/step"; sleep "$S"; done';
export const RESUME = `echo "resumed at $(cat {checkpoint_dir}/step 2>/dev/null || echo 0)"; ${EXPERIMENT}`;

interface Line {
  off: number;
  text: string;
}

/** Follows every run of the watched instances from its own start offset, recording byte offsets. */
export class LineTracker {
  readonly delivered = new Map<string, Line[]>();
  readonly followers = new Map<string, LogFollower>();
  readonly runs = new Map<string, RunRecord>();
  lastBatchAt = 0;

  constructor(private readonly session: ClusterSession) {
    session.on('run-changed', (rec, c) => {
      if (c.to === 'running' && this.watching.has(rec.instance_id) && !this.followers.has(rec.run_id)) this.track(rec);
    });
  }

  private readonly watching = new Set<string>();

  watch(instanceId: string): void {
    this.watching.add(instanceId);
  }

  track(rec: RunRecord): void {
    if (this.followers.has(rec.run_id)) return;
    this.runs.set(rec.run_id, rec);
    const list: Line[] = [];
    this.delivered.set(rec.run_id, list);
    const f = this.session.followLogs(rec, (b) => {
      this.lastBatchAt = Date.now();
      let off = b.fromOffset;
      for (const l of b.lines) {
        list.push({ off, text: l });
        off += Buffer.byteLength(l) + 1;
      }
    });
    this.followers.set(rec.run_id, f);
    void f.start();
  }

  /** Every run of an instance, oldest first. */
  runsOf(instanceId: string): RunRecord[] {
    return [...this.runs.values()].filter((r) => r.instance_id === instanceId).sort((a, b) => (a.log_start_offset ?? 0) - (b.log_start_offset ?? 0) || (a.started_at ?? '').localeCompare(b.started_at ?? ''));
  }

  /**
   * Waits until every follower of the instance has delivered its file up to the end, stops them,
   * and compares: delivered lines vs the bytes of each run's range in the node's log file (lost,
   * repeated), and the `line K` numbers across all runs vs 1..n (sequence gaps and repeats).
   */
  async check(instanceId: string, n: number, opts: { sequence: boolean; timeoutMs?: number }): Promise<{ lost: number; repeated: number; seqLost: number; seqRepeated: number; runs: number; detail: string }> {
    const runs = this.runsOf(instanceId);
    const ranges = runs.map((r) => {
      const sameFile = runs.filter((x) => x.log_path === r.log_path && (x.log_start_offset ?? 0) > (r.log_start_offset ?? 0));
      const end = sameFile.length ? Math.min(...sameFile.map((x) => x.log_start_offset ?? 0)) : Infinity;
      return { r, start: r.log_start_offset ?? 0, end };
    });
    const fileLines = (path: string, start: number, end: number): Line[] => {
      const buf = readFileSync(path);
      const out: Line[] = [];
      let off = start;
      const stop = Math.min(end, buf.length);
      while (off < stop) {
        const nl = buf.indexOf(10, off);
        if (nl < 0 || nl >= stop) break;
        out.push({ off, text: buf.subarray(off, nl).toString('utf8') });
        off = nl + 1;
      }
      return out;
    };
    await waitFor(`followers of ${instanceId} caught up`, opts.timeoutMs ?? 20_000, () => {
      for (const { r, start, end } of ranges) {
        const want = fileLines(r.log_path, start, end);
        const got = this.delivered.get(r.run_id) ?? [];
        const gotIn = got.filter((l) => l.off < end);
        if (want.length && (gotIn.length < want.length)) return false;
      }
      return true;
    });
    let lost = 0;
    let repeated = 0;
    const numbers: number[] = [];
    for (const { r, start, end } of ranges) {
      await this.followers.get(r.run_id)?.stop();
      this.followers.delete(r.run_id);
      const want = fileLines(r.log_path, start, end);
      const got = (this.delivered.get(r.run_id) ?? []).filter((l) => l.off < end);
      const seen = new Map<number, number>();
      for (const l of got) seen.set(l.off, (seen.get(l.off) ?? 0) + 1);
      for (const w of want) {
        const k = seen.get(w.off) ?? 0;
        if (k === 0) lost++;
        if (k > 1) repeated += k - 1;
      }
      for (const l of got) {
        const m = /^line (\d+)$/.exec(l.text);
        if (m) numbers.push(Number(m[1]));
        if (!want.some((w) => w.off === l.off && w.text === l.text)) lost++; // a line the file does not hold
      }
    }
    let seqLost = 0;
    let seqRepeated = 0;
    if (opts.sequence) {
      const count = new Map<number, number>();
      for (const k of numbers) count.set(k, (count.get(k) ?? 0) + 1);
      for (let k = 1; k <= n; k++) {
        const c = count.get(k) ?? 0;
        if (c === 0) seqLost++;
        if (c > 1) seqRepeated += c - 1;
      }
    }
    return { lost, repeated, seqLost, seqRepeated, runs: runs.length, detail: runs.map((r) => `${r.run_id}@${r.node}`).join(', ') };
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.followers.values()].map((f) => f.stop()));
    this.followers.clear();
  }
}

/** Live runs of an instance on every node: distinct CLUSTERLAB_RUN_ID values of live processes. */
export function liveCopies(nodes: readonly SshTestNode[], instanceId: string): Array<{ node: string; run_id: string }> {
  const out = new Map<string, string>();
  for (const n of nodes) {
    for (const pid of n.pids()) {
      let env: string;
      let stat: string;
      try {
        env = readFileSync(`/proc/${pid}/environ`, 'latin1');
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const vars = env.split('\0');
      if (!vars.includes(`CLUSTERLAB_INSTANCE_ID=${instanceId}`)) continue;
      const run = vars.find((v) => v.startsWith('CLUSTERLAB_RUN_ID='))?.slice('CLUSTERLAB_RUN_ID='.length);
      if (run) out.set(run, n.name);
    }
  }
  return [...out.entries()].map(([run_id, node]) => ({ node, run_id }));
}

/** Pids of the node's sshd processes only (not the experiment, not the relay). */
export function sshdPids(node: SshTestNode): number[] {
  return node.pids().filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim().startsWith('sshd');
    } catch {
      return false;
    }
  });
}

export interface FaultRow {
  fault: string;
  /** Seconds from the fault to the node marked UNAVAILABLE (null: never marked, as intended). */
  detected_s: number | null;
  /** Failed probes before it was marked. */
  failed_probes_before_marked: number | null;
  /** Seconds from the fault until work continues (new run running, reattached, or log resumed). */
  recovered_s: number | null;
  recovery: string;
  lines_lost: number;
  lines_repeated: number;
  runs_lost: number;
  duplicate_runs: number;
  notes?: string;
}

export const RESULTS = resolve(__dirname, '../../test-results/reliability.json');

export function writeResults(rows: FaultRow[]): void {
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify({ generated_at: new Date().toISOString(), defaults: { interval_s: 2, timeout_s: 3, failures_before_unavailable: 2, min_failure_s: 2, successes_before_healthy: 2 }, faults: rows }, null, 2) + '\n');
}

export function listDir(p: string): string[] {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
}
