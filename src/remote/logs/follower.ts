// Follows one log file on a node from a byte offset, over any NodeConnection.
//
// One long-running remote command per follower: a header line (inode, size, what happened since
// the last offset) and then `tail -c +OFFSET -F`, whose bytes are counted so the offset stays
// exact. Only complete lines are delivered; the partial tail is kept. When the stream ends
// without being asked to (connection dropped, sshd restarted) the follower reconnects with
// backoff and resumes from the last byte it delivered: no line lost, none repeated.
// Truncation (size < offset, or tail's "file truncated") restarts from 0; rotation (a new
// inode behind the path) restarts from 0 of the new file; both are reported as notices.
// The remote `tail` is tied to the command's stdin: when the channel or the local pipe closes,
// `cat` sees EOF and the tail is killed, so no remote process is left behind.
import { PassThrough } from 'node:stream';
import { sh } from '../../core/shell';
import { describeError } from '../../core/errors';
import type { NodeConnection } from '../connection';
import { LineSplitter } from './lines';

export interface LogBatch {
  lines: string[];
  /** File offset of the first byte of the first line. */
  fromOffset: number;
  /** File offset just past the last line (resume from here). */
  toOffset: number;
}

export type FollowNoticeKind = 'truncated' | 'rotated' | 'waiting' | 'appeared' | 'disconnected' | 'reconnected';
export interface FollowNotice {
  kind: FollowNoticeKind;
  message: string;
}

export interface FollowOptions {
  node: string;
  path: string;
  /** Start offset (default 0). */
  offset?: number;
  /** Start with the last N lines instead of `offset`. */
  lastLines?: number;
  /** Inode seen last time (rotation detection across reconnects). */
  inode?: string;
  /** false: deliver what is in the file now and finish. Default true. */
  follow?: boolean;
  /** Called for each (re)connection; the pool decides whether it is new. */
  connect(): Promise<NodeConnection>;
  onLines(batch: LogBatch): void;
  onNotice?(notice: FollowNotice): void;
  backoff?: { initialMs?: number; maxMs?: number };
}

const HEADER = 'CLUSTERLAB-FOLLOW';

/** The remote side: header, then tail (follow) or cat (one-shot), bound to stdin's lifetime. */
export function followScript(path: string, offset: number, inode: string, follow: boolean, lastLines?: number): string {
  return [
    sh`f=${path}; off=${offset}; want=${inode}; why=ok; ino=-; size=0`,
    'if [ -e "$f" ]; then set -- $(stat -L -c "%i %s" -- "$f" 2>/dev/null); ino=${1:--}; size=${2:-0}; else why=missing; fi',
    'if [ "$why" = ok ] && [ -n "$want" ] && [ "$ino" != "$want" ]; then why=rotated; off=0; fi',
    'if [ "$why" = ok ] && [ "$size" -lt "$off" ]; then why=truncated; off=0; fi',
    ...(lastLines !== undefined ? [sh`if [ "$why" != missing ]; then n=$(tail -n ${lastLines} -- "$f" | wc -c); off=$((size - n)); [ "$off" -lt 0 ] && off=0; fi`] : []),
    `printf '${HEADER} %s %s %s %s\\n' "$ino" "$size" "$off" "$why"`,
    follow
      ? 'tail -c +$((off+1)) -F -- "$f" & tp=$!; cat >/dev/null; kill $tp 2>/dev/null; wait $tp 2>/dev/null; exit 0'
      : 'if [ "$why" != missing ]; then tail -c +$((off+1)) -- "$f"; fi',
  ].join('\n');
}

export class LogFollower {
  private readonly splitter: LineSplitter;
  private inode: string;
  private stopped = false;
  private stdin: PassThrough | null = null;
  private abort: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private headerBuf: Buffer | null = null;
  private stderrBuf = '';
  private received = 0;
  private sessionStartOffset = 0;
  private lastLines: number | undefined;
  private readonly follow: boolean;
  /** Lines delivered so far (all batches). */
  linesDelivered = 0;

  constructor(private readonly opts: FollowOptions) {
    this.splitter = new LineSplitter(opts.offset ?? 0);
    this.inode = opts.inode ?? '';
    this.lastLines = opts.lastLines;
    this.follow = opts.follow !== false;
  }

  /** Offset just past the last delivered line. */
  get offset(): number {
    return this.splitter.offset;
  }

  get currentInode(): string {
    return this.inode;
  }

  /** Begin following; resolves when the follower has stopped (stop(), drain(), or one-shot end). */
  start(): Promise<void> {
    if (!this.loop) this.loop = this.run();
    return this.loop;
  }

  /** Stop following now (the partial tail is not delivered). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stdin?.end();
    const loop = this.loop;
    if (!loop) return;
    const t = setTimeout(() => this.abort?.abort(), 3000);
    try {
      await loop;
    } finally {
      clearTimeout(t);
    }
  }

  /**
   * The writer has finished: wait until every byte the file holds now has arrived (at most
   * `timeoutMs`), deliver the last line even without its newline, and stop.
   */
  async drain(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let size = -1;
    try {
      const conn = await this.opts.connect();
      const st = await conn.stat(this.opts.path);
      size = st?.size ?? 0;
    } catch {
      size = -1;
    }
    while (size >= 0 && Date.now() < deadline && this.splitter.offset + this.splitter.pendingBytes < size && !this.stopped) {
      await sleep(20);
    }
    await this.stop();
    const last = this.splitter.flush();
    if (last !== null) this.deliver([last], this.splitter.offset - Buffer.byteLength(last));
  }

  private async run(): Promise<void> {
    const initial = this.opts.backoff?.initialMs ?? 250;
    const max = this.opts.backoff?.maxMs ?? 8000;
    let delay = initial;
    let failures = 0;
    while (!this.stopped) {
      let ok = false;
      try {
        const conn = await this.opts.connect();
        if (this.stopped) break;
        if (failures > 0) this.notice('reconnected', `reconnected to ${this.opts.node}; resuming ${this.opts.path} at byte ${this.splitter.offset}`);
        ok = await this.session(conn);
        if (ok) {
          failures = 0;
          delay = initial;
        }
        if (!this.follow && ok) break;
      } catch (e) {
        if (this.stopped) break;
        if (failures === 0) this.notice('disconnected', `lost the log stream of ${this.opts.path} on ${this.opts.node} (${describeError(e)}); reconnecting`);
      }
      if (this.stopped) break;
      if (!ok) {
        failures++;
        await sleep(delay);
        delay = Math.min(max, delay * 2);
      } else if (this.follow) {
        // The stream ended on its own although nobody asked: resume immediately.
        failures = 1;
      }
    }
  }

  /** One connection's worth of streaming. true when it ended cleanly. */
  private async session(conn: NodeConnection): Promise<boolean> {
    // Resume at the last delivered byte: the partial tail is received again.
    this.splitter.reset(this.splitter.offset);
    this.headerBuf = Buffer.alloc(0);
    this.stderrBuf = '';
    this.received = 0;
    const stdin = new PassThrough();
    this.stdin = stdin;
    const abort = new AbortController();
    this.abort = abort;
    if (this.stopped) stdin.end();
    const script = followScript(this.opts.path, this.splitter.offset, this.inode, this.follow, this.lastLines);
    const r = await conn.exec(script, {
      stdin: this.follow ? stdin : '',
      collect: false,
      signal: abort.signal,
      onStdout: (c) => this.onStdout(c),
      onStderr: (c) => this.onStderr(c),
    });
    this.stdin = null;
    if (this.headerBuf !== null) {
      if (this.stopped) return true;
      throw new Error(`the follow command ended before its header (exit ${r.code ?? r.signal ?? 'unknown'}${r.stderr.length ? `: ${r.stderr.toString().trim()}` : ''})`);
    }
    this.lastLines = undefined;
    if (r.code === null) {
      if (this.stopped) return true;
      throw new Error(r.signal ? `stream killed by ${r.signal}` : 'connection closed');
    }
    return true;
  }

  private onStdout(chunk: Buffer): void {
    if (this.headerBuf !== null) {
      const all = this.headerBuf.length ? Buffer.concat([this.headerBuf, chunk]) : chunk;
      const nl = all.indexOf(10);
      if (nl === -1) {
        this.headerBuf = all;
        return;
      }
      this.headerBuf = null;
      this.onHeader(all.toString('utf8', 0, nl));
      chunk = all.subarray(nl + 1);
      if (!chunk.length) return;
    }
    this.received += chunk.length;
    const before = this.splitter.offset;
    const lines = this.splitter.push(chunk);
    if (lines.length) this.deliver(lines, before);
  }

  private onHeader(line: string): void {
    const [tag, ino, size, off, why] = line.split(' ');
    if (tag !== HEADER) throw new Error(`unexpected follow header ${JSON.stringify(line.slice(0, 80))}`);
    const offset = Number(off);
    const prev = this.splitter.offset;
    this.splitter.reset(Number.isFinite(offset) ? offset : 0);
    this.sessionStartOffset = this.splitter.offset;
    if (why === 'rotated') this.notice('rotated', `${this.opts.path} on ${this.opts.node} was replaced (rotated); following the new file from its start`);
    else if (why === 'truncated') this.notice('truncated', `${this.opts.path} on ${this.opts.node} was truncated (now ${size} bytes, was read to ${prev}); following from its start`);
    else if (why === 'missing' && this.follow) this.notice('waiting', `${this.opts.path} does not exist on ${this.opts.node} yet; waiting for it`);
    if (ino && ino !== '-') this.inode = ino;
  }

  private onStderr(chunk: Buffer): void {
    this.stderrBuf += chunk.toString('utf8');
    let nl = this.stderrBuf.indexOf('\n');
    while (nl !== -1) {
      const msg = this.stderrBuf.slice(0, nl);
      this.stderrBuf = this.stderrBuf.slice(nl + 1);
      this.onTailMessage(msg);
      nl = this.stderrBuf.indexOf('\n');
    }
  }

  /** GNU tail's own notices while following by name. */
  private onTailMessage(msg: string): void {
    if (/file truncated/.test(msg)) {
      this.splitter.reset(0);
      this.notice('truncated', `${this.opts.path} on ${this.opts.node} was truncated; following from its start`);
    } else if (/has been replaced|following new file|has appeared/.test(msg)) {
      // A file that "appears" after we had been reading one was replaced (renamed away, then
      // recreated: tail -F reports that as inaccessible + appeared when it sees the gap).
      const hadFile = this.inode !== '' || this.splitter.offset > 0;
      this.splitter.reset(0);
      this.inode = '';
      const firstAppearance = /appeared/.test(msg) && !/replaced/.test(msg) && !hadFile;
      this.notice(firstAppearance ? 'appeared' : 'rotated', firstAppearance ? `${this.opts.path} appeared on ${this.opts.node}` : `${this.opts.path} on ${this.opts.node} was replaced (rotated); following the new file from its start`);
    } else if (/has become inaccessible|cannot open/.test(msg)) {
      // The file is gone for now; tail -F waits for it to come back.
    }
  }

  private deliver(lines: string[], fromOffset: number): void {
    this.linesDelivered += lines.length;
    this.opts.onLines({ lines, fromOffset, toOffset: this.splitter.offset });
  }

  private notice(kind: FollowNoticeKind, message: string): void {
    this.opts.onNotice?.({ kind, message });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
