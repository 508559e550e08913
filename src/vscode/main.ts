// The extension's body, loaded by extension.ts right after activation (or on the first command):
// wires the config model, state, views, commands, channels and status bar together. Files are
// found and validated asynchronously; connections and the run session are created on first use
// (src/vscode/remote/services.ts).
import * as vscode from 'vscode';
import { ConfigModel } from './state/configModel';
import { ClusterState } from './state/clusterState';
import { RunWatcher } from './state/runWatcher';
import { RunMonitor } from './state/runMonitor';
import { FailoverService } from './state/failoverService';
import { NodesTreeProvider } from './views/nodesTree';
import { ExperimentsTreeProvider } from './views/experimentsTree';
import { RemoteServices } from './remote/services';
import { InstanceChannels } from './output/instanceChannels';
import { ClusterStatusBar } from './statusBar';
import { registerLanguageFeatures } from './language/features';
import { registerConfigCommands } from './commands/config';
import { HealthChecker, registerHealthCommands } from './commands/health';
import { registerPlanCommands } from './commands/plan';
import { registerRunCommands } from './commands/run';
import { registerInstanceCommands } from './commands/instances';
import { registerNodeCommands } from './commands/nodes';
import { registerDashboard } from './dashboard';
import { dashboardSource } from './dashboardSource';
import { log, disposeLog } from './log';

export function activateCore(context: vscode.ExtensionContext): void {
  const t0 = performance.now();
  const config = new ConfigModel();
  const state = new ClusterState(config, context.workspaceState);
  const services = new RemoteServices(context, config, state);
  const runs = new RunWatcher(state);
  const monitor = new RunMonitor(state, services);
  const channels = new InstanceChannels(state, services);
  const checker = new HealthChecker(state, services);
  context.subscriptions.push(config, state, services, runs, monitor, channels, checker);
  context.subscriptions.push(new FailoverService(state, services));

  // Views.
  const nodes = new NodesTreeProvider(state);
  const nodesView = vscode.window.createTreeView('clusterlab.nodes', { treeDataProvider: nodes, showCollapseAll: true, canSelectMany: true });
  nodes.attach(nodesView);
  const experiments = new ExperimentsTreeProvider(state);
  const experimentsView = vscode.window.createTreeView('clusterlab.experiments', { treeDataProvider: experiments });
  const visibility = () => checker.setVisible(nodesView.visible || experimentsView.visible);
  context.subscriptions.push(nodes, nodesView, experiments, experimentsView, experiments.attach(experimentsView), nodesView.onDidChangeVisibility(visibility), experimentsView.onDidChangeVisibility(visibility));
  context.subscriptions.push(new ClusterStatusBar(state));

  // Editor features and commands.
  registerLanguageFeatures(context, config);
  registerConfigCommands(context, config);
  registerHealthCommands(context, state, services, checker);
  registerPlanCommands(context, state, services, checker, channels);
  registerRunCommands(context, state, services, checker, channels);
  registerInstanceCommands(context, state, services, channels);
  registerNodeCommands(context, state, services);
  context.subscriptions.push(
    registerDashboard(context, dashboardSource(state)),
    vscode.commands.registerCommand('clusterlab.refresh', async () => {
      await config.refresh();
      await runs.load();
      monitor.kick();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      monitor.kick();
      visibility();
    }),
  );

  void vscode.commands.executeCommand('setContext', 'clusterlab.state', 'loading');
  setTimeout(() => {
    void config.refresh().then(() => {
      visibility();
      monitor.kick();
    });
  }, 0);
  log().info(`ClusterLab core wired in ${(performance.now() - t0).toFixed(1)} ms`);
}

export function deactivateCore(): void {
  disposeLog();
}

/** Writes the activation figures to the "ClusterLab" log. */
export function logActivation(activateMs: number, coreReadyAt: number): void {
  log().info(`ClusterLab activated in ${activateMs.toFixed(1)} ms; the rest loaded in the background (ready at ${coreReadyAt.toFixed(0)} ms after host start)`);
}
