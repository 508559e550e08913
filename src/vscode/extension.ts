// Extension entry: only wires things together. Nothing here does I/O before the first event:
// files are found and validated asynchronously after activate() returns.
import * as vscode from 'vscode';
import { ConfigModel } from './state/configModel';
import { ClusterState } from './state/clusterState';
import { RunWatcher } from './state/runWatcher';
import { NodesTreeProvider } from './views/nodesTree';
import { registerConfigCommands } from './commands/config';
import { log } from './log';

export function activate(context: vscode.ExtensionContext): void {
  const t0 = performance.now();
  const config = new ConfigModel();
  const state = new ClusterState(config, context.workspaceState);
  const runs = new RunWatcher(state);
  const nodes = new NodesTreeProvider(state);
  const nodesView = vscode.window.createTreeView('clusterlab.nodes', { treeDataProvider: nodes, showCollapseAll: true, canSelectMany: true });
  nodes.attach(nodesView);
  context.subscriptions.push(config, state, runs, nodes, nodesView);

  registerConfigCommands(context, config);

  void vscode.commands.executeCommand('setContext', 'clusterlab.state', 'loading');
  setTimeout(() => void config.refresh(), 0);
  log().info(`ClusterLab activated in ${(performance.now() - t0).toFixed(1)} ms`);
}

export function deactivate(): void {}
