// One interface for everything that talks to a node. LocalConnection (child_process) serves
// `type: host` nodes; SshConnection (ssh2) serves the rest. Probe, deploy, process control and
// log tailing are written once against this interface.
import type { Readable } from 'node:stream';

export interface ExecOptions {
  /** Bytes written to the command's stdin, then closed. */
  stdin?: string | Buffer | Readable;
  /** Called as output arrives (streaming). stdout/stderr are still collected unless `collect: false`. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  collect?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  /** Exit code; null when the command was killed by a signal. (A connection lost during the command rejects with ConnectionError kind `disconnected`.) */
  code: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
}

export interface FileStat {
  size: number;
  mode: number;
  mtimeMs: number;
  isDirectory: boolean;
}

export interface DetachedSpec {
  /** Shell command line to run (already built with the quoting helper). */
  command: string;
  cwd: string;
  env: Record<string, string>;
  /** File that receives stdout and stderr (appended). */
  logFile: string;
  /** Directory for pid, pgid, started_at, command, env and exit_code files. */
  runDir: string;
}

export interface DetachedHandle {
  pid: number;
  pgid: number;
}

export type ConnectionErrorKind =
  | 'unreachable'
  | 'auth_failed'
  | 'host_key_unknown'
  | 'host_key_changed'
  | 'timeout'
  | 'command_failed'
  | 'disconnected';

export class ConnectionError extends Error {
  constructor(
    readonly kind: ConnectionErrorKind,
    readonly node: string,
    message: string,
    readonly hint: string = '',
  ) {
    super(`node ${node}: ${message}${hint ? `. ${hint}` : ''}`);
    this.name = 'ConnectionError';
  }
}

export interface NodeConnection {
  readonly node: string;
  readonly kind: 'local' | 'ssh';
  /** Run a shell command (built with src/core/shell.ts) and wait for it to finish. */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Start a detached process (own session and process group) that outlives the connection. */
  startDetached(spec: DetachedSpec): Promise<DetachedHandle>;
  readFile(path: string, opts?: { offset?: number; length?: number }): Promise<Buffer>;
  writeFile(path: string, data: Buffer | string, opts?: { mode?: number }): Promise<void>;
  /** null when the path does not exist. */
  stat(path: string): Promise<FileStat | null>;
  /** Bulk transfer: pipe a tar stream into `tar -x` run in `dir` on the node. */
  extractTar(dir: string, tar: Readable, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Resolve `~` and relative paths to an absolute path on the node. */
  resolvePath(path: string): Promise<string>;
  close(): Promise<void>;
}
