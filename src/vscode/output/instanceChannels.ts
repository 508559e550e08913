// One output channel per experiment instance, `ClusterLab: <instance_id> @ <node>`: created on
// demand, reused, following new lines through the session's log follower, saying so when it
// reconnects, drained when the run ends, and disposed when its run record goes.
// Lines are batched (one append per 100 ms) and a flood is cut with a marker, so a log pouring
// 100,000 lines/s keeps the extension host responsive.
import * as vscode from 'vscode';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { RunRecord } from '../../core/runs/types';
import type { LogFollower } from '../../remote/logs/follower';
import type { ClusterState } from '../state/clusterState';
import type { RemoteServices } from '../remote/services';
import { isActive } from '../../core/runs/stateMachine';
import { readSettings } from '../settings';
import { log } from '../log';

const FLUSH_MS = 100;
/** Most lines appended per flush; beyond that lines are counted and skipped. */
const MAX_LINES_PER_FLUSH = 1000;

interface Followed {
  channel: vscode.OutputChannel;
  runId: string;
  follower: LogFollower | undefined;
  buffer: string[];
  skipped: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  lines: number;
}

export function channelName(r: Pick<RunRecord, 'instance_id' | 'node'>): string {
  return `ClusterLab: ${r.instance_id} @ ${r.node}`;
}

export class InstanceChannels implements vscode.Disposable {
  private readonly byKey = new Map<string, Followed>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Event-loop delay of the extension host while logs stream in (reported to the log). */
  private delay: IntervalHistogram | undefined;
  private delayTimer: ReturnType<typeof setInterval> | undefined;
  private received = 0;
  private skippedTotal = 0;

  constructor(
    private readonly state: ClusterState,
    private readonly services: RemoteServices,
  ) {
    this.disposables.push(state.onDidChange(() => this.onRuns()));
  }

  /** Opens (or reveals) the channel of a run and follows its log. */
  show(run: RunRecord, preserveFocus = true): vscode.OutputChannel {
    const f = this.ensure(run);
    f.channel.show(preserveFocus);
    return f.channel;
  }

  /** Starts following without showing (e.g. right after starting the run). */
  ensure(run: RunRecord): Followed {
    const key = channelName(run);
    let f = this.byKey.get(key);
    if (!f) {
      f = { channel: vscode.window.createOutputChannel(key), runId: run.run_id, follower: undefined, buffer: [], skipped: 0, timer: undefined, lines: 0 };
      this.byKey.set(key, f);
      this.follow(f, run);
    } else if (f.runId !== run.run_id) {
      // A new run of the same instance on the same node: same channel, new follower.
      void f.follower?.stop();
      this.flush(f);
      f.channel.appendLine(`──── ${run.instance_id}: new run ${run.run_id} on ${run.node} ────`);
      f.runId = run.run_id;
      this.follow(f, run);
    }
    return f;
  }

  private follow(f: Followed, run: RunRecord): void {
    let session;
    try {
      session = this.services.runSession();
    } catch (e) {
      f.channel.appendLine(`[ClusterLab] cannot follow the log of ${run.instance_id}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    f.channel.appendLine(`[ClusterLab] ${run.instance_id} on ${run.node} (run ${run.run_id}), log ${run.log_path}`);
    const follower = session.followLogs(
      run,
      (batch) => {
        for (const l of batch.lines) f.buffer.push(l);
        this.received += batch.lines.length;
        this.watchDelay();
        if (f.buffer.length > MAX_LINES_PER_FLUSH * 2) {
          const cut = f.buffer.length - MAX_LINES_PER_FLUSH;
          f.skipped += cut;
          this.skippedTotal += cut;
          f.buffer.splice(0, cut);
        }
        f.timer ??= setTimeout(() => this.flush(f), FLUSH_MS);
      },
      {
        follow: isActive(run.status),
        onNotice: (n) => {
          this.flush(f);
          f.channel.appendLine(`[ClusterLab] ${n.kind === 'reconnected' ? 'reconnected to' : n.kind === 'disconnected' ? 'lost the connection to' : `${n.kind}:`} ${n.kind === 'reconnected' || n.kind === 'disconnected' ? `${run.node}; ${n.message}` : n.message}`);
        },
      },
    );
    f.follower = follower;
    follower.start().catch((e: unknown) => {
      this.flush(f);
      f.channel.appendLine(`[ClusterLab] stopped following ${run.instance_id}: ${e instanceof Error ? e.message : String(e)}`);
      log().warn(`log follower ${run.instance_id}@${run.node}: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  private flush(f: Followed): void {
    if (f.timer) clearTimeout(f.timer);
    f.timer = undefined;
    if (f.skipped) {
      f.channel.appendLine(`[ClusterLab] … ${f.skipped} lines skipped to keep the editor responsive ("Fetch All Logs" copies the whole log)`);
      f.skipped = 0;
    }
    if (!f.buffer.length) return;
    let lines = f.buffer;
    const tail = readSettings().logTailLines;
    if (f.lines === 0 && tail > 0 && lines.length > tail) {
      // The first batch is what the log held already: show its last `logs.tailLines` lines.
      f.channel.appendLine(`[ClusterLab] … ${lines.length - tail} earlier lines not shown (setting clusterlab.logs.tailLines = ${tail})`);
      lines = lines.slice(-tail);
    }
    if (lines.length > MAX_LINES_PER_FLUSH) {
      f.channel.appendLine(`[ClusterLab] … ${lines.length - MAX_LINES_PER_FLUSH} lines skipped to keep the editor responsive ("Fetch All Logs" copies the whole log)`);
      this.skippedTotal += lines.length - MAX_LINES_PER_FLUSH;
      lines = lines.slice(-MAX_LINES_PER_FLUSH);
    }
    f.lines += lines.length;
    f.buffer = [];
    f.channel.append(lines.join('\n') + '\n');
  }

  /** Run ended: deliver the rest of its log. Run record gone: dispose the channel. */
  private onRuns(): void {
    const live = new Map(this.state.runs().map((r) => [r.run_id, r]));
    for (const [key, f] of this.byKey) {
      const r = live.get(f.runId);
      if (!r) {
        // Its record is gone (deleted) unless a newer run of the instance replaced it.
        const newer = this.state.runs().find((x) => channelName(x) === key);
        if (newer) {
          this.ensure(newer);
          continue;
        }
        void f.follower?.stop();
        if (f.timer) clearTimeout(f.timer);
        f.channel.dispose();
        this.byKey.delete(key);
        continue;
      }
      if (!isActive(r.status) && f.follower) {
        const follower = f.follower;
        f.follower = undefined;
        void follower.drain(3000).then(() => {
          this.flush(f);
          f.channel.appendLine(`[ClusterLab] ${r.instance_id} ${r.status}${r.exit_code !== undefined ? ` with exit code ${r.exit_code}` : ''}.`);
        });
      }
    }
  }

  /**
   * While lines arrive, measures the extension host's event-loop delay and logs it every 5 s:
   * the figure that shows a log flood does not freeze the editor.
   */
  private watchDelay(): void {
    if (this.delayTimer) return;
    this.delay = monitorEventLoopDelay({ resolution: 10 });
    this.delay.enable();
    let last = performance.now();
    this.delayTimer = setInterval(() => {
      const h = this.delay;
      if (!h) return;
      const now = performance.now();
      const secs = (now - last) / 1000;
      last = now;
      const ms = (ns: number) => (ns / 1e6).toFixed(1);
      log().info(`log streaming: ${Math.round(this.received / secs)} lines/s received, ${Math.round(this.skippedTotal / secs)} lines/s skipped; extension host event-loop delay p50 ${ms(h.percentile(50))} ms, p99 ${ms(h.percentile(99))} ms, max ${ms(h.max)} ms`);
      const idle = this.received === 0;
      this.received = 0;
      this.skippedTotal = 0;
      h.reset();
      if (idle) this.stopDelay();
    }, 5000);
  }

  private stopDelay(): void {
    if (this.delayTimer) clearInterval(this.delayTimer);
    this.delayTimer = undefined;
    this.delay?.disable();
    this.delay = undefined;
  }

  /** For tests and the log: lines appended to a channel so far. */
  linesOf(key: string): number {
    return this.byKey.get(key)?.lines ?? 0;
  }

  dispose(): void {
    for (const f of this.byKey.values()) {
      void f.follower?.stop();
      if (f.timer) clearTimeout(f.timer);
      f.channel.dispose();
    }
    this.byKey.clear();
    this.stopDelay();
    for (const d of this.disposables) d.dispose();
  }
}
