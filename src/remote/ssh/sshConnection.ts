// SshConnection: the NodeConnection of a remote node, on one pooled ssh2 connection (through
// ProxyJump hops when the ssh config says so). Every operation is an exec on that connection;
// file operations are single round trips (`cat`, `tail -c +N | head -c L`, `stat`).
import type { Duplex, Readable } from 'node:stream';
import type { Client, ClientChannel, ParsedKey } from 'ssh2';
import { raw, sh } from '../../core/shell';
import { describeTarget, type SshTarget } from '../../core/ssh/sshConfig';
import type { NodeConfig } from '../../core/config/schema';
import { ConnectionError, type DetachedHandle, type DetachedSpec, type ExecOptions, type ExecResult, type FileStat, type NodeConnection } from '../connection';
import { buildDetachedCommand, parseDetachedOutput } from '../detached';
import { writeStdin } from '../local';
import { connectHop, forwardThrough, openSocket, type ConfirmHostKey, type HopOptions, type PassphraseProvider } from './connect';
import { hopName, resolveJumpChain, resolveNodeTarget } from './sshConfig';

export interface SshConnectionOptions {
  /** known_hosts file to check and append to (default: ssh config's, else ~/.ssh/known_hosts). */
  knownHostsPath?: string;
  /** OpenSSH client config (default ~/.ssh/config). */
  sshConfigPath?: string;
  /** Asked for unknown host keys; without it they are refused. */
  confirmHostKey?: ConfirmHostKey;
  /** Asked for the passphrase of an encrypted key; undefined skips that key. */
  passphrase?: PassphraseProvider;
  /** TCP connect + SSH handshake, per hop. Default 10000. */
  connectTimeoutMs?: number;
  /** Default 1000; with keepaliveCountMax 3 a dead link is noticed in about 4 s. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Close the connection after this long with no command running. Default 300000; 0 = never. */
  idleTimeoutMs?: number;
  /** Connect retries for network failures (never for auth or host key failures). Default 2. */
  retries?: number;
  /** Concurrent channels on the connection (sshd's MaxSessions is 10). Default 8. */
  maxChannels?: number;
  /** ssh-agent socket (default SSH_AUTH_SOCK; '' disables the agent). */
  agentSocket?: string;
  /** Progress lines (connects, retries, drops). Never contains secrets. */
  log?: (line: string) => void;
  keyCache?: Map<string, ParsedKey>;
}

type NodeLike = Pick<NodeConfig, 'name' | 'host' | 'ssh_user' | 'ssh_port' | 'ssh_key_path'>;

const RETRYABLE = new Set(['unreachable', 'timeout', 'disconnected']);

export class SshConnection implements NodeConnection {
  readonly kind = 'ssh' as const;
  private closed = false;
  private closing = false;
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private home: Promise<string> | undefined;
  private readonly listeners = new Set<(err: ConnectionError) => void>();
  private readonly maxChannels: number;
  private readonly idleTimeoutMs: number;

  private constructor(
    readonly node: string,
    readonly target: SshTarget,
    private readonly client: Client,
    private readonly hops: Client[],
    private readonly opts: SshConnectionOptions,
  ) {
    this.maxChannels = opts.maxChannels ?? 8;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 300_000;
    const onGone = (e?: Error) => {
      if (this.closed) return;
      this.closed = true;
      if (this.idleTimer) clearTimeout(this.idleTimer);
      for (const h of this.hops) h.end();
      if (this.closing) return;
      const why = e?.message === 'Keepalive timeout' ? `no answer to ${opts.keepaliveCountMax ?? 3} keepalives (link down or node hung)` : e ? e.message : 'the connection was closed';
      const err = new ConnectionError('disconnected', node, `connection to ${describeTarget(target)} lost: ${why}`, 'It is re-opened on the next use; check the node if this repeats');
      opts.log?.(err.message);
      for (const l of this.listeners) {
        try {
          l(err);
        } catch {
          // a listener's failure is its own
        }
      }
    };
    client.on('error', (e: Error) => onGone(e));
    client.on('close', () => onGone());
    for (const h of hops) h.on('error', () => undefined);
    this.armIdle();
  }

  /** Resolve the node through the ssh config and connect, retrying network failures with backoff. */
  static async connect(node: NodeLike, opts: SshConnectionOptions = {}): Promise<SshConnection> {
    const target = await resolveNodeTarget(node, opts.sshConfigPath).catch((e: unknown) => {
      throw new ConnectionError('unreachable', node.name, `cannot read the ssh configuration: ${e instanceof Error ? e.message : String(e)}`, 'Check your ssh config file');
    });
    const jumps = await resolveJumpChain(node.name, target, opts.sshConfigPath ? { configPath: opts.sshConfigPath } : {});
    const retries = opts.retries ?? 2;
    const t0 = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const { client, hops } = await SshConnection.openChain(node.name, target, jumps, opts);
        opts.log?.(`${node.name}: connected to ${describeTarget(target)} in ${Date.now() - t0} ms`);
        return new SshConnection(node.name, target, client, hops, opts);
      } catch (e) {
        if (!(e instanceof ConnectionError) || !RETRYABLE.has(e.kind) || attempt >= retries) throw e;
        const delay = Math.min(4000, 250 * 2 ** attempt) * (0.5 + Math.random());
        opts.log?.(`${node.name}: ${e.message}; retry ${attempt + 1}/${retries} in ${Math.round(delay)} ms`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private static async openChain(name: string, target: SshTarget, jumps: SshTarget[], opts: SshConnectionOptions): Promise<{ client: Client; hops: Client[] }> {
    const hopOpts: HopOptions = {
      ...(opts.knownHostsPath ? { knownHostsPath: opts.knownHostsPath } : {}),
      ...(opts.confirmHostKey ? { confirmHostKey: opts.confirmHostKey } : {}),
      ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
      ...(opts.agentSocket !== undefined ? { agentSocket: opts.agentSocket } : {}),
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.keyCache ? { keyCache: opts.keyCache } : {}),
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      keepaliveIntervalMs: opts.keepaliveIntervalMs ?? 1000,
      keepaliveCountMax: opts.keepaliveCountMax ?? 3,
    };
    const hops: Client[] = [];
    try {
      const chain = [...jumps, target];
      // Each hop is named in its errors: "jump host j2 (hop 2 of 3)".
      const label = (i: number) => (i === chain.length - 1 ? '' : `jump host ${hopName(chain[i]!)} (hop ${i + 1} of ${chain.length})`);
      const first = chain[0]!;
      let sock: Duplex = await openSocket(name, first.hostname, first.port, hopOpts.connectTimeoutMs, label(0));
      for (let i = 0; i < chain.length; i++) {
        const t = chain[i]!;
        const isLast = i === chain.length - 1;
        const c = await connectHop(name, t, sock, hopOpts, label(i));
        if (isLast) return { client: c, hops };
        hops.push(c);
        const next = chain[i + 1]!;
        sock = await forwardThrough(name, c, next.hostname, next.port, label(i), label(i + 1));
      }
      throw new Error('unreachable');
    } catch (e) {
      for (const h of hops.reverse()) h.end();
      throw e;
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Called when the connection drops unexpectedly (not after close()). Returns an unsubscribe function. */
  onDidDisconnect(listener: (err: ConnectionError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.idleTimeoutMs > 0 && this.active === 0 && !this.closed) {
      this.idleTimer = setTimeout(() => {
        this.opts.log?.(`${this.node}: closing idle connection`);
        void this.close();
      }, this.idleTimeoutMs);
      this.idleTimer.unref();
    }
  }

  private async acquire(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.active < this.maxChannels) {
      this.active++;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
    this.active++;
  }

  private release(): void {
    this.active--;
    const w = this.waiters.shift();
    if (w) w();
    else this.armIdle();
  }

  private lost(): ConnectionError {
    return new ConnectionError('disconnected', this.node, `connection to ${describeTarget(this.target)} is closed`, 'Get a new connection from the pool');
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) throw this.lost();
    if (opts.signal?.aborted) throw abortError(this.node);
    await this.acquire();
    try {
      return await this.execOnChannel(command, opts);
    } finally {
      this.release();
    }
  }

  private execOnChannel(command: string, opts: ExecOptions): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      if (this.closed) return reject(this.lost());
      const collect = opts.collect !== false;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code: number | null = null;
      let signal: string | undefined;
      let gotExit = false;
      let settled = false;
      let stream: ClientChannel | undefined;
      let timer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.listeners.delete(onDrop);
        fn();
      };
      const stop = () => {
        if (!stream) return;
        try {
          stream.signal('KILL');
        } catch {
          // older servers ignore signal requests
        }
        stream.close();
      };
      const onAbort = () => {
        stop();
        finish(() => reject(abortError(this.node)));
      };
      const onDrop = (e: ConnectionError) => finish(() => reject(e));
      this.listeners.add(onDrop);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          stop();
          finish(() => reject(new ConnectionError('timeout', this.node, `command did not finish within ${opts.timeoutMs} ms`, 'It was stopped; raise the timeout or check the node')));
        }, opts.timeoutMs);
      }
      let openAttempts = 0;
      const open = () => this.client.exec(command, (e, ch) => {
          if (e && !this.closed && !settled && /open failed/i.test(e.message) && openAttempts++ < 8) {
            // sshd frees a session slot a moment after the channel closes: retry shortly
            setTimeout(open, 10 * openAttempts);
            return;
          }
          if (e) {
            return finish(() =>
              reject(this.closed ? this.lost() : new ConnectionError('command_failed', this.node, `could not open a session channel: ${e.message}`, 'The node refused a new session (sshd MaxSessions?); retry')),
            );
          }
          stream = ch;
          if (settled) return stop();
          ch.on('data', (c: Buffer) => {
            opts.onStdout?.(c);
            if (collect) out.push(c);
          });
          ch.stderr.on('data', (c: Buffer) => {
            opts.onStderr?.(c);
            if (collect) err.push(c);
          });
          ch.on('exit', (c: number | null, sig?: string) => {
            gotExit = true;
            code = typeof c === 'number' ? c : null;
            if (sig) signal = sig;
          });
          ch.on('close', () => {
            if (!gotExit && this.closed) return finish(() => reject(this.lost()));
            finish(() => resolve({ code, ...(signal ? { signal } : {}), stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
          });
          writeStdin(ch, opts.stdin);
        });
      try {
        open();
      } catch (e) {
        finish(() => reject(this.closed ? this.lost() : new ConnectionError('disconnected', this.node, `cannot run a command: ${e instanceof Error ? e.message : String(e)}`, 'Retry; the connection is re-opened on the next use')));
      }
    });
  }

  /** Absolute path on the node (`~` and relative paths resolve against the login home). */
  async resolvePath(path: string): Promise<string> {
    if (path.startsWith('/')) return path;
    this.home ??= this.exec('printf %s "$HOME"').then((r) => {
      const h = r.stdout.toString();
      if (r.code !== 0 || !h.startsWith('/')) throw new ConnectionError('command_failed', this.node, 'cannot find the home directory ($HOME)', 'Check the login shell of the SSH user');
      return h;
    });
    this.home.catch(() => (this.home = undefined));
    const home = await this.home;
    if (path === '~' || path === '' || path === '.') return home;
    if (path.startsWith('~/')) return `${home}/${path.slice(2)}`;
    return `${home}/${path}`;
  }

  async startDetached(spec: DetachedSpec): Promise<DetachedHandle> {
    const fixed: DetachedSpec = { ...spec, cwd: await this.resolvePath(spec.cwd), runDir: await this.resolvePath(spec.runDir), logFile: await this.resolvePath(spec.logFile) };
    const r = await this.exec(buildDetachedCommand(fixed), { timeoutMs: 20_000 });
    const h = parseDetachedOutput(r.stdout.toString());
    if (r.code !== 0 || !h) {
      throw new ConnectionError('command_failed', this.node, `could not start detached process in ${fixed.runDir}: ${r.stderr.toString().trim() || `exit ${r.code}`}`, 'Check that the directories exist and are writable, and that setsid is installed');
    }
    return h;
  }

  async readFile(path: string, opts: { offset?: number; length?: number } = {}): Promise<Buffer> {
    const p = remotePath(path);
    let read = sh`cat -- ${raw(p)}`;
    if (opts.offset || opts.length !== undefined) {
      read = sh`tail -c +${(opts.offset ?? 0) + 1} -- ${raw(p)}`;
      if (opts.length !== undefined) read += sh` | head -c ${opts.length}`;
    }
    const r = await this.exec(sh`if [ -f ${raw(p)} ]; then ${raw(read)}; else echo 'no such file' >&2; exit 44; fi`);
    if (r.code === 44) throw notFound(this.node, path);
    if (r.code !== 0) throw new ConnectionError('command_failed', this.node, `cannot read ${path}: ${r.stderr.toString().trim() || `exit ${r.code}`}`, 'Check the file permissions');
    return r.stdout;
  }

  async writeFile(path: string, data: Buffer | string, opts: { mode?: number } = {}): Promise<void> {
    const p = remotePath(path);
    const mode = (opts.mode ?? 0o644).toString(8);
    const tmp = `${p}.clusterlab-tmp-$$`;
    const r = await this.exec(sh`f=${raw(p)}; case "$f" in */*) mkdir -p -- "\${f%/*}" || exit 1;; esac; cat > ${raw(tmp)} && chmod ${mode} ${raw(tmp)} && mv -f -- ${raw(tmp)} "$f"`, { stdin: data });
    if (r.code !== 0) throw new ConnectionError('command_failed', this.node, `cannot write ${path}: ${r.stderr.toString().trim() || `exit ${r.code}`}`, 'Check free disk space and permissions');
  }

  async stat(path: string): Promise<FileStat | null> {
    const p = remotePath(path);
    const r = await this.exec(sh`if [ -e ${raw(p)} ]; then stat -L -c '%s %f %Y' -- ${raw(p)}; else echo missing; fi`);
    const text = r.stdout.toString().trim();
    if (text === 'missing') return null;
    const m = /^(\d+) ([0-9a-f]+) (\d+)$/.exec(text);
    if (r.code !== 0 || !m) throw new ConnectionError('command_failed', this.node, `cannot stat ${path}: ${r.stderr.toString().trim() || text}`, 'Check that coreutils stat is installed');
    const rawMode = parseInt(m[2]!, 16);
    return { size: Number(m[1]), mode: rawMode & 0o7777, mtimeMs: Number(m[3]) * 1000, isDirectory: (rawMode & 0o170000) === 0o040000 };
  }

  async extractTar(dir: string, tar: Readable, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const d = remotePath(dir);
    const r = await this.exec(sh`mkdir -p -- ${raw(d)} && tar -x -C ${raw(d)} -f -`, { stdin: tar, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (r.code !== 0) throw new ConnectionError('command_failed', this.node, `tar -x into ${dir} failed (exit ${r.code}): ${r.stderr.toString().trim().slice(-500)}`, 'Check free disk space and permissions on the node');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      this.client.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.client.end();
    });
    this.closed = true;
    for (const h of this.hops) h.end();
  }
}

/** A path as a shell word: `~` and `~/x` become "$HOME"/'x', everything else is quoted. */
export function remotePath(path: string): string {
  if (path === '~') return '"$HOME"';
  if (path.startsWith('~/')) return `"$HOME"/${sh`${path.slice(2)}`}`;
  return sh`${path}`;
}

function notFound(node: string, path: string): ConnectionError {
  const e = new ConnectionError('command_failed', node, `cannot read ${path}: no such file`, 'Check the path');
  (e as ConnectionError & { code?: string }).code = 'ENOENT';
  return e;
}

function abortError(node: string): Error {
  const e = new Error(`node ${node}: command aborted`);
  e.name = 'AbortError';
  return e;
}
