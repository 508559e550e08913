// Check Health (all nodes or one) with cancellable per-node progress, and the background health
// monitor: it probes only while a ClusterLab view is visible, at `clusterlab.health.intervalSeconds`.
import * as vscode from 'vscode';
import { checkAll } from '../../remote/healthCheck';
import { nodeWorkDir } from '../../core/runs/plan';
import { DEFAULT_HEALTH, type NodeConfig } from '../../core/config/schema';
import type { NodeHealth } from '../../core/health/types';
import type { ClusterState } from '../state/clusterState';
import type { RemoteServices } from '../remote/services';
import { guarded } from '../errors';
import { pickNode } from './pick';
import { readSettings, onDidChangeSettings } from '../settings';
import { log } from '../log';

export class HealthChecker implements vscode.Disposable {
  private running: Promise<NodeHealth[]> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private visible = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly state: ClusterState,
    private readonly services: RemoteServices,
  ) {
    this.disposables.push(onDidChangeSettings(() => this.schedule()));
  }

  /** Probes `nodes` (default all), showing each node's spinner until its result arrives. */
  async check(nodes?: NodeConfig[], opts: { signal?: AbortSignal; onResult?: (h: NodeHealth) => void } = {}): Promise<NodeHealth[]> {
    const { cluster, clusterDir } = this.services.requireCluster();
    const pool = this.services.connections();
    const targets = nodes ?? cluster.nodes;
    const overrides: Record<string, string> = {};
    for (const n of this.state.manualMaintenance()) overrides[n] = 'set to maintenance in the editor';
    this.state.setProbing(
      targets.map((n) => n.name),
      true,
    );
    const timeoutMs = (cluster.health?.timeout_seconds ?? DEFAULT_HEALTH.timeout_seconds) * 1000;
    try {
      return await checkAll(targets, pool, {
        concurrency: readSettings().concurrency,
        timeoutMs,
        overrides,
        workDir: (n) => nodeWorkDir(cluster, n, clusterDir),
        ...(opts.signal ? { signal: opts.signal } : {}),
        onResult: (h) => {
          this.state.setHealth(h);
          opts.onResult?.(h);
        },
      });
    } finally {
      this.state.setProbing(
        targets.map((n) => n.name),
        false,
      );
    }
  }

  /** Check Health with a notification showing per-node progress; cancellable. */
  async checkWithProgress(nodes?: NodeConfig[]): Promise<NodeHealth[]> {
    const targets = nodes ?? this.services.requireCluster().cluster.nodes;
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ClusterLab: checking ${targets.length === 1 ? targets[0]?.name : `${targets.length} nodes`}`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        let done = 0;
        const results = await this.check(targets, {
          signal: ac.signal,
          onResult: (h) => {
            done++;
            progress.report({ increment: 100 / targets.length, message: `${h.name}: ${h.status}${h.reason ? ` (${h.reason})` : ''} — ${done}/${targets.length}` });
          },
        });
        if (token.isCancellationRequested) throw new vscode.CancellationError();
        return results;
      },
    );
  }

  /** Reports nodes that are not healthy, with actions. */
  async report(results: NodeHealth[]): Promise<void> {
    const bad = results.filter((h) => h.status === 'unavailable' || h.status === 'degraded');
    for (const h of results) log().info(`health ${h.name}: ${h.status}${h.reason ? ` — ${h.reason}` : ''}`);
    if (!bad.length) {
      void vscode.window.showInformationMessage(`ClusterLab: ${results.length} node(s) checked: ${results.filter((h) => h.status === 'healthy').length} healthy${results.some((h) => h.status === 'maintenance') ? `, ${results.filter((h) => h.status === 'maintenance').length} in maintenance` : ''}.`);
      return;
    }
    const text = bad.map((h) => `node ${h.name} is ${h.status}${h.reason ? `: ${h.reason}` : ''}`).join('; ');
    const pick = await vscode.window.showWarningMessage(`ClusterLab: ${text}`, 'Retry', 'Open Config', 'Show Log');
    if (pick === 'Retry') await this.report(await this.checkWithProgress(bad.map((h) => this.state.node(h.name)).filter((n): n is NodeConfig => n !== undefined)));
    if (pick === 'Open Config') await vscode.commands.executeCommand('clusterlab.openConfig');
    if (pick === 'Show Log') vscode.commands.executeCommand('clusterlab.showExtensionLog');
  }

  /** The monitor runs only while a ClusterLab view is visible. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const seconds = readSettings().healthIntervalSeconds;
    if (!this.visible || seconds <= 0 || !vscode.workspace.isTrusted) return;
    this.timer = setTimeout(() => void this.tick(), seconds * 1000);
  }

  private async tick(): Promise<void> {
    if (this.state.config.state === 'ready' && !this.running) {
      try {
        this.running = this.check();
        await this.running;
        await this.services.runSession().reconcile();
      } catch (e) {
        log().warn(`background health check: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        this.running = undefined;
      }
    }
    this.schedule();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

export function registerHealthCommands(context: vscode.ExtensionContext, state: ClusterState, services: RemoteServices, checker: HealthChecker): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(
      'clusterlab.checkHealth',
      guarded('Check Health', async () => {
        services.requireTrust();
        await checker.report(await checker.checkWithProgress());
      }),
    ),
    vscode.commands.registerCommand(
      'clusterlab.checkNodeHealth',
      guarded('Check Health of Node', async (arg?: unknown) => {
        services.requireTrust();
        services.requireCluster();
        const name = await pickNode(state, arg, 'Node to check');
        const node = name ? state.node(name) : undefined;
        if (!node) return;
        await checker.report(await checker.checkWithProgress([node]));
      }),
    ),
  );
}
