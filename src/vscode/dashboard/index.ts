// registerDashboard: the `clusterlab.openDashboard` command (one panel, revealed if already open) and
// the serializer that restores the panel after a reload. The extension's package.json contributes
// the command and the `onWebviewPanel:clusterlab.dashboard` activation event.
import * as vscode from 'vscode';
import { DashboardSession } from '../../core/dashboard/session';
import { DASHBOARD_VIEW_TYPE, DashboardPanel, panelOptions } from './panel';
import type { DashboardDataSource } from './source';

export type { DashboardDataSource, DashboardTarget } from './source';
export { DASHBOARD_VIEW_TYPE } from './panel';
export const OPEN_DASHBOARD_COMMAND = 'clusterlab.openDashboard';

export function registerDashboard(context: vscode.ExtensionContext, source: DashboardDataSource): vscode.Disposable {
  let current: DashboardPanel | undefined;
  // The session (history over the session) outlives a closed panel: reopening shows the past.
  let session: DashboardSession | undefined;
  const sessionFor = (): DashboardSession => (session ??= new DashboardSession(source.samplingSeconds()));

  const adopt = (panel: vscode.WebviewPanel): DashboardPanel => {
    current?.dispose();
    const p = new DashboardPanel(panel, context.extensionUri, source, sessionFor());
    current = p;
    p.onDidDispose(() => {
      if (current === p) current = undefined;
    });
    return p;
  };

  const open = (): void => {
    if (current) {
      current.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'ClusterLab Dashboard', vscode.ViewColumn.Active, panelOptions(context.extensionUri));
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'clusterlab.svg');
    adopt(panel);
  };

  const disposables: vscode.Disposable[] = [
    vscode.commands.registerCommand(OPEN_DASHBOARD_COMMAND, open),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel(panel: vscode.WebviewPanel): Thenable<void> {
        adopt(panel);
        return Promise.resolve();
      },
    }),
    { dispose: () => current?.dispose() },
  ];
  const all = vscode.Disposable.from(...disposables);
  context.subscriptions.push(all);
  return all;
}
