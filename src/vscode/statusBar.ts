// Status bar: `$(server) 3/3 · 4 running`, coloured when something is wrong, with a Markdown
// tooltip holding command links.
import * as vscode from 'vscode';
import type { ClusterState } from './state/clusterState';
import { debounce } from './debounce';
import { md } from './format';

export class ClusterStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('clusterlab.status', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(private readonly state: ClusterState) {
    this.item.name = 'ClusterLab';
    const update = debounce(() => this.update(), 100);
    this.disposables.push(state.onDidChange(update), { dispose: () => update.cancel() });
    this.update();
  }

  update(): void {
    const cfg = this.state.config;
    if (cfg.state === 'noConfig' || cfg.state === 'loading') {
      this.item.hide();
      return;
    }
    if (cfg.state === 'invalid') {
      this.item.text = '$(server) config has errors';
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      this.item.command = 'workbench.actions.view.problems';
      this.item.tooltip = 'ClusterLab: the cluster config has errors. Click to show the Problems panel.';
      this.item.show();
      return;
    }
    const s = this.state.summary();
    const checked = this.state.nodes().some((n) => this.state.health.has(n.name));
    this.item.text = `$(server) ${checked ? `${s.up}/${s.nodes}` : `${s.nodes} node${s.nodes === 1 ? '' : 's'}`} · ${s.running} running`;
    const unavailable = this.state.nodes().some((n) => this.state.displayStatus(n.name) === 'unavailable');
    const failing = this.state.runs().some((r) => r.status === 'crashed' || r.status === 'lost' || r.status === 'failed');
    this.item.backgroundColor = unavailable || failing ? new vscode.ThemeColor('statusBarItem.errorBackground') : s.problems.length ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const t = new vscode.MarkdownString(undefined, true);
    t.isTrusted = { enabledCommands: ['clusterlab.checkHealth', 'clusterlab.openDashboard', 'clusterlab.runExperiments', 'clusterlab.stopAll', 'clusterlab.openConfig', 'workbench.view.extension.clusterlab'] };
    t.appendMarkdown(`**ClusterLab** — ${md(cfg.cluster?.cluster.name ?? '')}\n\n`);
    for (const n of this.state.nodes()) t.appendMarkdown(`- ${md(n.name)}: ${md(this.state.displayStatus(n.name))}, ${this.state.activeOnNode(n.name).length}/${n.max_instances} instance(s)\n`);
    if (s.problems.length) t.appendMarkdown(`\n$(warning) ${s.problems.map(md).join('  \n$(warning) ')}\n`);
    t.appendMarkdown('\n[$(pulse) Check Health](command:clusterlab.checkHealth) · [$(run-all) Run Experiments](command:clusterlab.runExperiments) · [$(dashboard) Dashboard](command:clusterlab.openDashboard) · [$(stop-circle) Stop All](command:clusterlab.stopAll)');
    this.item.tooltip = t;
    this.item.command = 'workbench.view.extension.clusterlab';
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
