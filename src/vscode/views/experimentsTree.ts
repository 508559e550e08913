// The Experiments view: experiment files → their instances, with the latest run's state.
import * as vscode from 'vscode';
import type { ClusterState } from '../state/clusterState';
import { runIcon } from './icons';
import { runDescription } from './nodesTree';

export type ExperimentElement = { kind: 'experiment'; file: string } | { kind: 'definition'; instanceId: string; file: string };

export class ExperimentsTreeProvider implements vscode.TreeDataProvider<ExperimentElement>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ExperimentElement | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: vscode.Disposable;
  private view: vscode.TreeView<ExperimentElement> | undefined;
  private stale = false;

  constructor(private readonly state: ClusterState) {
    this.sub = state.onDidChange(() => {
      if (this.view && !this.view.visible) this.stale = true;
      else this.emitter.fire(undefined);
    });
  }

  attach(view: vscode.TreeView<ExperimentElement>): vscode.Disposable {
    this.view = view;
    return view.onDidChangeVisibility((e) => {
      if (e.visible && this.stale) {
        this.stale = false;
        this.emitter.fire(undefined);
      }
    });
  }

  getChildren(el?: ExperimentElement): ExperimentElement[] {
    const config = this.state.config;
    // Files are listed even when some have errors (their instances then show once fixed).
    if (!el) return config.experimentUris.map((u) => ({ kind: 'experiment', file: u.fsPath }));
    const model = config.model;
    if (el.kind === 'experiment' && model) return model.instances.filter((i) => model.instanceSource[i.instance_id] === el.file).map((i) => ({ kind: 'definition', instanceId: i.instance_id, file: el.file }));
    return [];
  }

  getTreeItem(el: ExperimentElement): vscode.TreeItem {
    if (el.kind === 'experiment') {
      const item = new vscode.TreeItem(vscode.workspace.asRelativePath(el.file), vscode.TreeItemCollapsibleState.Collapsed);
      item.resourceUri = vscode.Uri.file(el.file);
      item.contextValue = 'experiment.file';
      item.iconPath = new vscode.ThemeIcon('beaker');
      item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(el.file)] };
      const errors = this.state.config.diagnostics.filter((d) => d.file === el.file && d.severity === 'error').length;
      if (errors) {
        item.description = `${errors} error(s): see Problems`;
        item.iconPath = new vscode.ThemeIcon('beaker', new vscode.ThemeColor('list.errorForeground'));
      } else if (!this.state.config.model) item.description = 'other files have errors';
      return item;
    }
    const inst = this.state.config.model?.instances.find((i) => i.instance_id === el.instanceId);
    const run = this.state.runs().find((r) => r.instance_id === el.instanceId);
    const item = new vscode.TreeItem(el.instanceId, vscode.TreeItemCollapsibleState.None);
    item.contextValue = run ? `run.${run.status}` : 'definition';
    item.iconPath = run ? runIcon(run.status, run.exit_code) : new vscode.ThemeIcon('circle-large-outline');
    item.description = run ? runDescription(run) : `${inst?.ram_gb ?? '?'} GB${inst?.gpu_required ? ' · GPU' : ''}`;
    return item;
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
