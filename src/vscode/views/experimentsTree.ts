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
    const model = this.state.config.model;
    if (!model) return [];
    if (!el) return [...new Set(Object.values(model.instanceSource))].sort().map((file) => ({ kind: 'experiment', file }));
    if (el.kind === 'experiment') return model.instances.filter((i) => model.instanceSource[i.instance_id] === el.file).map((i) => ({ kind: 'definition', instanceId: i.instance_id, file: el.file }));
    return [];
  }

  getTreeItem(el: ExperimentElement): vscode.TreeItem {
    if (el.kind === 'experiment') {
      const item = new vscode.TreeItem(vscode.workspace.asRelativePath(el.file), vscode.TreeItemCollapsibleState.Collapsed);
      item.resourceUri = vscode.Uri.file(el.file);
      item.contextValue = 'experiment.file';
      item.iconPath = new vscode.ThemeIcon('beaker');
      item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(el.file)] };
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
