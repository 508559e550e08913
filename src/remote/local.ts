// LocalConnection: the NodeConnection of a `type: host` node (this machine), on child_process.
// Commands run with `bash -c` (or `sh -c` where there is no bash), detached processes use the
// same wrapper as SshConnection (src/remote/detached.ts).
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { sh } from '../core/shell';
import { ConnectionError, type DetachedHandle, type DetachedSpec, type ExecOptions, type ExecResult, type FileStat, type NodeConnection } from './connection';
import { buildDetachedCommand, parseDetachedOutput } from './detached';

const SHELL = existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';

/** Variables of the CLI's own environment that commands and experiments on this machine never see. */
const SECRET_ENV = ['CLUSTERLAB_SSH_PASSPHRASE'];

/** The environment for commands run here: ours, minus secrets (a run could print it to its log). */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of SECRET_ENV) delete env[k];
  return env;
}

export interface LocalConnectionOptions {
  /** Relative paths resolve against this directory (default: the home directory). */
  rootDir?: string;
}

export class LocalConnection implements NodeConnection {
  readonly kind = 'local' as const;
  private readonly rootDir: string;
  private closed = false;

  constructor(
    readonly node: string,
    opts: LocalConnectionOptions = {},
  ) {
    this.rootDir = opts.rootDir ?? homedir();
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return new Promise<ExecResult>((resolveP, reject) => {
      if (opts.signal?.aborted) return reject(abortError(this.node));
      const child = spawn(SHELL, ['-c', command], { cwd: this.rootDir, env: childEnv(), detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const collect = opts.collect !== false;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const killGroup = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => {
        killGroup();
        finish(() => reject(abortError(this.node)));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          killGroup();
          finish(() => reject(new ConnectionError('timeout', this.node, `command did not finish within ${opts.timeoutMs} ms`, 'It was stopped; raise the timeout or check the command')));
        }, opts.timeoutMs);
      }
      child.stdout.on('data', (c: Buffer) => {
        opts.onStdout?.(c);
        if (collect) out.push(c);
      });
      child.stderr.on('data', (c: Buffer) => {
        opts.onStderr?.(c);
        if (collect) err.push(c);
      });
      child.on('error', (e) => finish(() => reject(new ConnectionError('command_failed', this.node, `could not start ${SHELL}: ${e.message}`, 'Check that a POSIX shell is installed'))));
      child.on('close', (code, signal) =>
        finish(() => resolveP({ code, ...(signal ? { signal } : {}), stdout: Buffer.concat(out), stderr: Buffer.concat(err) })),
      );
      writeStdin(child.stdin, opts.stdin);
    });
  }

  async startDetached(spec: DetachedSpec): Promise<DetachedHandle> {
    const fixed: DetachedSpec = { ...spec, cwd: this.abs(spec.cwd), runDir: this.abs(spec.runDir), logFile: this.abs(spec.logFile) };
    const r = await this.exec(buildDetachedCommand(fixed), { timeoutMs: 20_000 });
    const h = parseDetachedOutput(r.stdout.toString());
    if (r.code !== 0 || !h) {
      throw new ConnectionError('command_failed', this.node, `could not start detached process in ${fixed.runDir}: ${r.stderr.toString().trim() || `exit ${r.code}`}`, 'Check that the directories are writable');
    }
    return h;
  }

  async readFile(path: string, opts: { offset?: number; length?: number } = {}): Promise<Buffer> {
    const p = this.abs(path);
    try {
      return await this.readRange(p, opts);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') {
        const err = new ConnectionError('command_failed', this.node, `cannot read ${path}: no such file`, 'Check the path');
        (err as ConnectionError & { code?: string }).code = 'ENOENT';
        throw err;
      }
      throw new ConnectionError('command_failed', this.node, `cannot read ${path}: ${(e as Error).message}`, 'Check the file permissions');
    }
  }

  private async readRange(p: string, opts: { offset?: number; length?: number }): Promise<Buffer> {
    if (opts.offset === undefined && opts.length === undefined) return fsp.readFile(p);
    const fh = await fsp.open(p, 'r');
    try {
      const size = (await fh.stat()).size;
      const offset = Math.min(opts.offset ?? 0, size);
      const length = Math.max(0, Math.min(opts.length ?? size - offset, size - offset));
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    } finally {
      await fh.close();
    }
  }

  async writeFile(path: string, data: Buffer | string, opts: { mode?: number } = {}): Promise<void> {
    const p = this.abs(path);
    await fsp.mkdir(dirname(p), { recursive: true });
    const tmp = `${p}.clusterlab-tmp-${process.pid}-${Date.now()}`;
    await fsp.writeFile(tmp, data, { mode: opts.mode ?? 0o644 });
    if (opts.mode !== undefined) await fsp.chmod(tmp, opts.mode);
    await fsp.rename(tmp, p);
  }

  async stat(path: string): Promise<FileStat | null> {
    try {
      const s = await fsp.stat(this.abs(path));
      return { size: s.size, mode: s.mode & 0o7777, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory() };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw e;
    }
  }

  async extractTar(dir: string, tar: Readable, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const d = this.abs(dir);
    const r = await this.exec(sh`mkdir -p ${d} && tar -x -C ${d} -f -`, { stdin: tar, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (r.code !== 0) throw new ConnectionError('command_failed', this.node, `tar -x into ${d} failed (exit ${r.code}): ${r.stderr.toString().trim().slice(-500)}`, 'Check free disk space and permissions');
  }

  async resolvePath(path: string): Promise<string> {
    return this.abs(path);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private abs(path: string): string {
    if (path === '~') return homedir();
    if (path.startsWith('~/')) return join(homedir(), path.slice(2));
    return isAbsolute(path) ? path : resolve(this.rootDir, path);
  }
}

function abortError(node: string): Error {
  const e = new Error(`node ${node}: command aborted`);
  e.name = 'AbortError';
  return e;
}

/** Writes `stdin` (string, Buffer or stream) to a child's stdin and closes it. */
export function writeStdin(dest: NodeJS.WritableStream & { on(ev: 'error', fn: (e: Error) => void): unknown }, stdin: ExecOptions['stdin']): void {
  dest.on('error', () => undefined); // EPIPE when the command exits before reading everything
  if (stdin === undefined) dest.end();
  else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) dest.end(stdin);
  else stdin.pipe(dest);
}
