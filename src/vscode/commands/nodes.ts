// Node commands: Deploy (all / one), Set/Clear Maintenance (workspace state; placement and health
// treat the node as in maintenance), Open Terminal on Node (a Pseudoterminal over the pooled
// connection: `script` gives the shell a pty on the node, so it works over SSH and locally).
import * as vscode from 'vscode';
import { PassThrough } from 'node:stream';
import { sh } from '../../core/shell';
import { nodeWorkDir, deploySourceDir } from '../../core/runs/plan';
import { describeError } from '../../core/errors';
import type { NodeConfig } from '../../core/config/schema';
import { deployAll } from '../../remote/sync/deploy-all';
import type { DeployProgress } from '../../remote/sync/deploy';
import type { ClusterState } from '../state/clusterState';
import type { RemoteServices } from '../remote/services';
import { guarded, showError } from '../errors';
import { pickNode } from './pick';
import { readSettings } from '../settings';
import { log } from '../log';

/** "3.2 MB", "512 KB", "0 B". */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** One node's deploy progress as a person reads it: "120/10,000 files, 3.2 MB". */
export function deployProgressText(p: DeployProgress): string {
  switch (p.phase) {
    case 'scan':
      return 'comparing with the node…';
    case 'hash':
      return `hashing ${count(p.filesDone)}/${count(p.filesTotal)} files`;
    case 'transfer':
      return `${count(p.filesDone)}/${count(p.filesTotal)} files, ${bytes(p.bytesDone)}${p.bytesTotal ? ` of ${bytes(p.bytesTotal)}` : ''}`;
    case 'done':
      return p.filesTotal ? `done, ${count(p.filesTotal)} files sent (${bytes(p.bytesTotal)})` : 'done, up to date';
  }
}

async function deploy(state: ClusterState, services: RemoteServices, nodes: NodeConfig[]): Promise<void> {
  const { cluster, clusterDir } = services.requireCluster();
  const pool = services.connections();
  const names = nodes.map((n) => n.name);
  const title = `ClusterLab: Deploying to ${names.length === 1 ? names[0] : `${names.length} nodes`}`;
  const outcomes = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const ac = new AbortController();
    token.onCancellationRequested(() => ac.abort());
    // Per node: its latest line and its share of the bar (each node counts 100/N).
    const lines = new Map<string, string>(names.map((n) => [n, state.node(n)?.type === 'host' && (cluster.deploy?.host_mode ?? 'in_place') === 'in_place' ? 'runs in place' : 'waiting…']));
    const fraction = new Map<string, number>();
    let reported = 0;
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const message = names.length === 1 ? (lines.get(names[0] as string) ?? '') : names.map((n) => `${n}: ${lines.get(n) ?? ''}`).join(' · ');
      const total = (names.reduce((s, n) => s + (fraction.get(n) ?? 0), 0) / names.length) * 100;
      const increment = Math.max(0, total - reported);
      reported += increment;
      progress.report({ message, increment });
    };
    flush();
    const r = await deployAll(
      nodes.map((node) => ({ node, remoteDir: nodeWorkDir(cluster, node, clusterDir) })),
      pool,
      {
        sourceDir: deploySourceDir(cluster, clusterDir),
        exclude: cluster.deploy?.exclude ?? [],
        hostMode: cluster.deploy?.host_mode ?? 'in_place',
        concurrency: readSettings().concurrency,
        signal: ac.signal,
        onProgress: (p) => {
          lines.set(p.node, deployProgressText(p));
          fraction.set(p.node, p.phase === 'done' ? 1 : p.phase === 'transfer' && p.bytesTotal ? 0.1 + (0.9 * p.bytesDone) / p.bytesTotal : p.phase === 'hash' && p.filesTotal ? (0.1 * p.filesDone) / p.filesTotal : 0);
          // At most 10 updates a second: a notification redrawn per file would cost more than the copy.
          timer ??= setTimeout(flush, 100);
        },
      },
    );
    if (timer) clearTimeout(timer);
    return r.outcomes;
  });
  for (const o of outcomes) log().info(`deploy ${o.node}: ${o.status === 'failed' ? `failed: ${o.error}` : o.status === 'in_place' ? o.message : `${o.result.filesSent} file(s) sent, ${o.result.unchanged} unchanged`}`);
  const failed = outcomes.filter((o) => o.status === 'failed');
  if (failed.length) {
    await showError(
      'Deploy',
      new Error(failed.map((f) => (f.status === 'failed' ? `node ${f.node}: ${f.what || f.error}${f.fix ? `. ${f.fix}` : ''}` : '')).join('; ')),
      [{ title: 'Retry', run: () => deploy(state, services, nodes.filter((n) => failed.some((f) => f.node === n.name))) }],
    );
    return;
  }
  void vscode.window.showInformationMessage(`ClusterLab: deployed to ${outcomes.map((o) => (o.status === 'deployed' ? `${o.node} (${o.result.filesSent} sent, ${o.result.unchanged} unchanged)` : `${o.node} (in place)`)).join(', ')}.`);
}

class NodeTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly stdin = new PassThrough();
  private readonly ac = new AbortController();

  constructor(
    private readonly node: NodeConfig,
    private readonly services: RemoteServices,
    private readonly cwd: string,
  ) {}

  open(dims: vscode.TerminalDimensions | undefined): void {
    void this.run(dims);
  }

  private async run(dims: vscode.TerminalDimensions | undefined): Promise<void> {
    try {
      this.writeEmitter.fire(`\x1b[2mClusterLab: connecting to ${this.node.name}…\x1b[0m\r\n`);
      const conn = await this.services.connections().get(this.node);
      const size = dims ? sh`stty cols ${dims.columns} rows ${dims.rows} 2>/dev/null; ` : '';
      const dir = await conn.resolvePath(this.cwd).catch(() => this.cwd);
      const inner = `${size}cd ${sh`${dir}`} 2>/dev/null || cd; exec "\${SHELL:-/bin/sh}" -i`;
      const cmd = sh`TERM=xterm-256color script -qfec ${inner} /dev/null`;
      const r = await conn.exec(cmd, {
        stdin: this.stdin,
        collect: false,
        signal: this.ac.signal,
        onStdout: (b) => this.writeEmitter.fire(b.toString('utf8')),
        onStderr: (b) => this.writeEmitter.fire(b.toString('utf8').replace(/\r?\n/g, '\r\n')),
      });
      this.writeEmitter.fire(`\r\n\x1b[2m[shell on ${this.node.name} ended${r.code !== null ? ` with ${r.code}` : ''}]\x1b[0m\r\n`);
      this.closeEmitter.fire(r.code ?? 0);
    } catch (e) {
      this.writeEmitter.fire(`\r\n\x1b[31mClusterLab: cannot open a shell on node ${this.node.name}: ${describeError(e)}\x1b[0m\r\n`);
    }
  }

  handleInput(data: string): void {
    this.stdin.write(data);
  }

  close(): void {
    this.stdin.end();
    this.ac.abort();
  }
}

export function registerNodeCommands(context: vscode.ExtensionContext, state: ClusterState, services: RemoteServices): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(
      'clusterlab.deploy',
      guarded('Deploy', async () => {
        services.requireTrust();
        await deploy(state, services, services.requireCluster().cluster.nodes.filter((n) => !state.maintenanceSource(n.name)));
      }),
    ),
    vscode.commands.registerCommand(
      'clusterlab.deployNode',
      guarded('Deploy to Node', async (arg?: unknown) => {
        services.requireTrust();
        services.requireCluster();
        const name = await pickNode(state, arg, 'Node to deploy to');
        const node = name ? state.node(name) : undefined;
        if (node) await deploy(state, services, [node]);
      }),
    ),
    vscode.commands.registerCommand(
      'clusterlab.setMaintenance',
      guarded('Set Maintenance', async (arg?: unknown) => {
        const name = await pickNode(state, arg, 'Node to put in maintenance (kept out of placement)', (n) => !state.maintenanceSource(n));
        if (!name) return;
        await state.setMaintenance(name, true);
        const h = state.health.get(name);
        if (h) state.setHealth({ ...h, status: 'maintenance', reason: 'set to maintenance in the editor' });
      }),
    ),
    vscode.commands.registerCommand(
      'clusterlab.clearMaintenance',
      guarded('Clear Maintenance', async (arg?: unknown) => {
        const name = await pickNode(state, arg, 'Node to bring back from maintenance', (n) => state.maintenanceSource(n) === 'manual');
        if (!name) return;
        await state.setMaintenance(name, false);
        if (vscode.workspace.isTrusted) void vscode.commands.executeCommand('clusterlab.checkNodeHealth', name);
      }),
    ),
    vscode.commands.registerCommand(
      'clusterlab.openTerminal',
      guarded('Open Terminal on Node', async (arg?: unknown) => {
        services.requireTrust();
        const { cluster, clusterDir } = services.requireCluster();
        const name = await pickNode(state, arg, 'Node to open a shell on');
        const node = name ? state.node(name) : undefined;
        if (!node) return;
        const cwd = nodeWorkDir(cluster, node, clusterDir);
        const term = vscode.window.createTerminal({ name: `ClusterLab: ${node.name}`, pty: new NodeTerminal(node, services, cwd), iconPath: new vscode.ThemeIcon('server') });
        term.show();
      }),
    ),
  );
}
