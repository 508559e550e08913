// ConnectionPool: one connection per node, reused for everything.
//
// How to use it (probe, deploy, runs, logs, failover):
//
//   const pool = new ConnectionPool({ knownHostsPath, sshConfigPath, confirmHostKey, passphrase, log });
//   const conn = await pool.get(node);          // NodeConfig from the cluster file
//   const r = await conn.exec(sh`cat ${path}`); // always build commands with src/core/shell.ts
//   ...
//   await pool.closeAll();                      // at the end (CLI) or on deactivate (extension)
//
// - `type: host` nodes get a LocalConnection (child_process, no SSH); others an SshConnection.
// - Concurrent `get` calls for the same node share one connect; later calls reuse it.
// - A dropped connection (keepalive timeout, sshd gone, idle close) is replaced on the next
//   `get`. Hold the connection for one job, and call `get` again for the next one rather than
//   keeping it forever. `pool.onDidDisconnect(listener)` reports drops (log followers resume).
// - Failures are `ConnectionError` (src/remote/connection.ts) with `kind`: unreachable,
//   auth_failed, host_key_unknown, host_key_changed, timeout, command_failed, disconnected;
//   the message names the node, what happened and what to do. Show it as it is.
// - `exec` resolves with the exit code (non-zero is not an error); a connection lost during
//   the command rejects with kind `disconnected`; `timeoutMs` rejects with kind `timeout`.
// - Unknown host keys are refused unless `confirmHostKey` accepts (then written to known_hosts);
//   changed or @revoked keys are always refused.
import type { ParsedKey } from 'ssh2';
import type { NodeConfig } from '../core/config/schema';
import { ConnectionError, type NodeConnection } from './connection';
import { LocalConnection } from './local';
import { SshConnection, type SshConnectionOptions } from './ssh/sshConnection';

export type { ConfirmHostKey, PassphraseProvider } from './ssh/connect';
export { SshConnection } from './ssh/sshConnection';
export { LocalConnection } from './local';

/** The SSH options of every connection the pool makes, plus where `type: host` nodes resolve paths. */
export interface ConnectionPoolOptions extends Omit<SshConnectionOptions, 'maxChannels' | 'keyCache'> {
  /** Where relative paths of `type: host` nodes resolve (default: the home directory). */
  localRootDir?: string;
}

type PoolNode = Pick<NodeConfig, 'name' | 'type' | 'host' | 'ssh_user' | 'ssh_port' | 'ssh_key_path'>;

interface Entry {
  key: string;
  conn?: NodeConnection;
  pending?: Promise<NodeConnection>;
}

export class ConnectionPool {
  private readonly entries = new Map<string, Entry>();
  private readonly keyCache = new Map<string, ParsedKey>();
  private readonly listeners = new Set<(node: string, err: ConnectionError) => void>();
  private closedAll = false;

  constructor(readonly options: ConnectionPoolOptions = {}) {}

  /** The node's connection, opened (or re-opened after a drop) when needed. */
  get(node: PoolNode): Promise<NodeConnection> {
    this.closedAll = false;
    const key = JSON.stringify([node.type, node.host, node.ssh_user, node.ssh_port, node.ssh_key_path]);
    const cur = this.entries.get(node.name);
    if (cur && cur.key === key) {
      if (cur.pending) return cur.pending;
      if (cur.conn && !isClosed(cur.conn)) return Promise.resolve(cur.conn);
    }
    if (cur?.conn) void cur.conn.close();
    const entry: Entry = { key };
    entry.pending = this.open(node).then(
      (conn) => {
        entry.pending = undefined;
        entry.conn = conn;
        if (this.entries.get(node.name) !== entry || this.closedAll) void conn.close();
        return conn;
      },
      (e: unknown) => {
        if (this.entries.get(node.name) === entry) this.entries.delete(node.name);
        throw e;
      },
    );
    this.entries.set(node.name, entry);
    return entry.pending;
  }

  private async open(node: PoolNode): Promise<NodeConnection> {
    if (node.type === 'host') return new LocalConnection(node.name, this.options.localRootDir ? { rootDir: this.options.localRootDir } : {});
    if (!node.host) {
      throw new ConnectionError('unreachable', node.name, 'no `host` is set', 'Add `host:` (an address or a ~/.ssh/config Host alias) to this node in cluster.yaml');
    }
    const o = this.options;
    const conn = await SshConnection.connect(node, {
      ...o,
      keyCache: this.keyCache,
    });
    conn.onDidDisconnect((err) => {
      const e = this.entries.get(node.name);
      if (e?.conn === conn) this.entries.delete(node.name);
      for (const l of this.listeners) l(node.name, err);
    });
    return conn;
  }

  /** Called when a pooled SSH connection drops unexpectedly. Returns an unsubscribe function. */
  onDidDisconnect(listener: (node: string, err: ConnectionError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Close and forget a node's connection (the next `get` opens a new one). */
  async drop(nodeName: string): Promise<void> {
    const e = this.entries.get(nodeName);
    this.entries.delete(nodeName);
    if (e?.conn) await e.conn.close();
    else if (e?.pending) await e.pending.then((c) => c.close()).catch(() => undefined);
  }

  /** Close every connection (pending connects are closed when they finish). */
  async closeAll(): Promise<void> {
    this.closedAll = true;
    const all = [...this.entries.keys()];
    await Promise.all(all.map((n) => this.drop(n)));
    this.keyCache.clear();
  }
}

function isClosed(c: NodeConnection): boolean {
  return (c as { isClosed?: boolean }).isClosed === true;
}
