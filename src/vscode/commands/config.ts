// Validate Config, Open Config, Create Cluster Config from Template. These work in untrusted
// workspaces too: they only read and write the workspace's own files.
import * as vscode from 'vscode';
import type { ConfigModel } from '../state/configModel';
import { log } from '../log';

export function registerConfigCommands(context: vscode.ExtensionContext, config: ConfigModel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('clusterlab.validateConfig', () => validateConfig(config)),
    vscode.commands.registerCommand('clusterlab.openConfig', () => openConfig(config)),
    vscode.commands.registerCommand('clusterlab.createConfig', () => createConfig(context, config)),
    vscode.commands.registerCommand('clusterlab.showExtensionLog', () => log().show()),
  );
}

export async function validateConfig(config: ConfigModel): Promise<void> {
  await config.refresh();
  if (!config.clusterUri) {
    const pick = await vscode.window.showWarningMessage('ClusterLab: no cluster config found (cluster.yaml or cluster_config.yaml, setting clusterlab.clusterFile).', 'Create cluster.yaml');
    if (pick) await vscode.commands.executeCommand('clusterlab.createConfig');
    return;
  }
  const errors = config.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = config.diagnostics.length - errors;
  const files = 1 + config.experimentUris.length;
  const rel = vscode.workspace.asRelativePath(config.clusterUri);
  if (errors === 0 && warnings === 0) {
    const nodes = config.cluster?.nodes.length ?? 0;
    const instances = config.model?.instances.length ?? 0;
    void vscode.window.showInformationMessage(`ClusterLab: ${rel} is valid: ${nodes} node(s), ${instances} instance(s) in ${files - 1} experiment file(s).`);
    return;
  }
  const msg = `ClusterLab: ${errors} error(s) and ${warnings} warning(s) in ${files} file(s) (${rel}).`;
  const show = errors ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
  const pick = await show(msg, 'Show Problems', 'Open Config');
  if (pick === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
  if (pick === 'Open Config') await openConfig(config);
}

export async function openConfig(config: ConfigModel): Promise<void> {
  const uri = config.clusterUri ?? (await config.findClusterFile());
  if (!uri) {
    const pick = await vscode.window.showInformationMessage('ClusterLab: this workspace has no cluster config yet.', 'Create cluster.yaml');
    if (pick) await vscode.commands.executeCommand('clusterlab.createConfig');
    return;
  }
  await vscode.window.showTextDocument(uri);
}

export async function createConfig(context: vscode.ExtensionContext, config: ConfigModel): Promise<void> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  let folder: vscode.WorkspaceFolder | undefined = folders[0];
  if (folders.length > 1) folder = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder for cluster.yaml' });
  if (!folder) {
    void vscode.window.showWarningMessage('ClusterLab: open a folder first; cluster.yaml is created at its root.');
    return;
  }
  const target = vscode.Uri.joinPath(folder.uri, 'cluster.yaml');
  try {
    await vscode.workspace.fs.stat(target);
    await vscode.window.showTextDocument(target);
    void vscode.window.showInformationMessage(`ClusterLab: ${vscode.workspace.asRelativePath(target)} already exists; opened it.`);
    return;
  } catch {
    /* does not exist: create it */
  }
  const template = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(context.extensionUri, 'media', 'templates', 'cluster.yaml'));
  await vscode.workspace.fs.writeFile(target, template);
  await vscode.window.showTextDocument(target);
  await config.refresh();
}
