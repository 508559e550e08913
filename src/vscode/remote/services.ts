// The connection pool and the run session, created on first use (never at activation), with the
// editor's host-key consent (a modal with the SHA256 fingerprint) and passphrase prompt (a
// password input box, kept in SecretStorage only when the user opted in).
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import { ConnectionPool } from '../../remote/pool';
import { ClusterSession } from '../../remote/session';
import type { ClusterFile } from '../../core/config/schema';
import type { RunRecord } from '../../core/runs/types';
import type { ConfigModel } from '../state/configModel';
import type { ClusterState } from '../state/clusterState';
import { readSettings } from '../settings';
import { log } from '../log';
import { ClusterLabError } from '../../core/errors';

const SECRET_PREFIX = 'clusterlab.passphrase:';

export class RemoteServices implements vscode.Disposable {
  private pool: ConnectionPool | undefined;
  private session: ClusterSession | undefined;
  private sessionKey: string | undefined;
  private readonly sessionEmitter = new vscode.EventEmitter<RunRecord>();
  /** Every run change any session method makes. */
  readonly onDidChangeRun = this.sessionEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly config: ConfigModel,
    private readonly state: ClusterState,
  ) {}

  /** Throws a ClusterLabError naming what to do when the workspace cannot run anything. */
  requireTrust(): void {
    if (!vscode.workspace.isTrusted) {
      throw new ClusterLabError('vscode.untrusted', 'This workspace is not trusted, so ClusterLab only validates its files', 'Trust the workspace (Manage Workspace Trust) to connect to nodes and run experiments');
    }
  }

  requireCluster(): { cluster: ClusterFile; clusterDir: string } {
    const cluster = this.config.cluster;
    const uri = this.config.clusterUri;
    if (!uri) throw new ClusterLabError('vscode.no_config', 'No cluster config in this workspace', 'Create one with "ClusterLab: Create Cluster Config from Template"');
    if (!cluster) throw new ClusterLabError('vscode.invalid_config', `${vscode.workspace.asRelativePath(uri)} has errors`, 'Fix the problems shown in the Problems panel, then try again');
    return { cluster, clusterDir: vscode.Uri.joinPath(uri, '..').fsPath };
  }

  connections(): ConnectionPool {
    this.requireTrust();
    if (this.pool) return this.pool;
    const s = readSettings();
    this.pool = new ConnectionPool({
      ...(s.knownHostsPath ? { knownHostsPath: expandHome(s.knownHostsPath) } : {}),
      ...(s.sshConfigPath ? { sshConfigPath: expandHome(s.sshConfigPath) } : {}),
      confirmHostKey: (node, host, fingerprint, keyType) => this.confirmHostKey(node, host, fingerprint, keyType),
      passphrase: (node, keyPath) => this.passphrase(node, keyPath),
      log: (line) => log().info(line),
      ...(this.config.rootUri ? { localRootDir: this.config.rootUri.fsPath } : {}),
    });
    return this.pool;
  }

  /** The session for the current cluster config (re-created when the config changes). */
  runSession(): ClusterSession {
    this.requireTrust();
    const { cluster, clusterDir } = this.requireCluster();
    const model = this.config.model;
    const key = JSON.stringify([cluster, model?.instanceSource ?? {}]);
    if (this.session && this.sessionKey === key) return this.session;
    this.session?.removeAllListeners();
    const session = new ClusterSession({
      rootDir: clusterDir,
      clusterDir,
      cluster,
      instanceSource: model?.instanceSource ?? {},
      connections: this.connections(),
    });
    session.on('run-changed', (rec) => {
      this.state.upsertRun(rec);
      this.sessionEmitter.fire(rec);
    });
    this.session = session;
    this.sessionKey = key;
    return session;
  }

  private async confirmHostKey(node: string, host: string, fingerprint: string, keyType: string): Promise<boolean> {
    const trust = 'Trust and Connect';
    const pick = await vscode.window.showWarningMessage(
      `ClusterLab: the host key of node ${node} (${host}) is not known.`,
      {
        modal: true,
        detail: `${keyType} key fingerprint:\n${fingerprint}\n\nCompare it with the one the machine shows (ssh-keygen -lf /etc/ssh/ssh_host_${keyType.replace(/^ssh-/, '')}_key.pub). Trusting adds it to known_hosts; a changed key is always refused.`,
      },
      trust,
    );
    log().info(`host key of ${node} (${host}) ${keyType} ${fingerprint}: ${pick === trust ? 'trusted by the user' : 'refused'}`);
    return pick === trust;
  }

  private async passphrase(node: string, keyPath: string): Promise<string | undefined> {
    const secretKey = `${SECRET_PREFIX}${keyPath}`;
    const remember = readSettings().rememberPassphrases;
    if (remember) {
      const stored = await this.context.secrets.get(secretKey);
      if (stored) return stored;
    }
    const value = await vscode.window.showInputBox({
      title: `Passphrase for ${keyPath}`,
      prompt: `Node ${node} needs the SSH key ${keyPath}, which is encrypted.`,
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return undefined;
    if (remember) {
      const keep = await vscode.window.showInformationMessage(`Remember the passphrase of ${keyPath} in the OS keychain (VS Code secret storage)?`, 'Remember', 'Not Now');
      if (keep === 'Remember') await this.context.secrets.store(secretKey, value);
    }
    return value;
  }

  dispose(): void {
    this.session?.removeAllListeners();
    this.sessionEmitter.dispose();
    void this.pool?.closeAll();
  }
}

function expandHome(p: string): string {
  return p.startsWith('~/') ? `${homedir()}${p.slice(1)}` : p;
}
