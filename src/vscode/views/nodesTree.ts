// The Nodes view: node → instances. Elements are stable objects, so a change fires
// onDidChangeTreeData with just the changed element; hidden views only remember that they are
// stale and refresh once when shown again.
import * as vscode from 'vscode';
import type { NodeConfig } from '../../core/config/schema';
import type { NodeHealth } from '../../core/health/types';
import type { RunRecord } from '../../core/runs/types';
import type { ClusterState, ClusterChange } from '../state/clusterState';
import { nodeIcon, runIcon, STATUS_WORD } from './icons';
import { ago, duration, gb, md } from '../format';
import { debounce } from '../debounce';

export interface NodeElement {
  readonly kind: 'node';
  readonly name: string;
}
export interface RunElement {
  readonly kind: 'run';
  readonly runId: string;
}
export type NodesElement = NodeElement | RunElement;

export class NodesTreeProvider implements vscode.TreeDataProvider<NodesElement>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<NodesElement | NodesElement[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly nodeEls = new Map<string, NodeElement>();
  private readonly runEls = new Map<string, RunElement>();
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  private view: vscode.TreeView<NodesElement> | undefined;
  private pending = new Set<NodesElement>();
  private pendingAll = false;
  /** Fires per changed element; counts are read by tests and the log. */
  renders = 0;

  constructor(private readonly state: ClusterState) {
    const flush = debounce(() => this.flush(), 50);
    this.disposables.push(
      state.onDidChange((c) => {
        this.collect(c);
        flush();
      }),
      { dispose: () => flush.cancel() },
    );
  }

  attach(view: vscode.TreeView<NodesElement>): void {
    this.view = view;
    this.disposables.push(
      view.onDidChangeVisibility((e) => {
        if (e.visible) this.flush();
      }),
    );
  }

  private collect(c: ClusterChange): void {
    if (c.all) {
      this.pendingAll = true;
      return;
    }
    // A node whose children changed is re-rendered with its subtree.
    for (const n of [...c.nodes, ...c.children]) this.pending.add(this.nodeEl(n));
    for (const r of c.runs) this.pending.add(this.runEl(r));
  }

  private flush(): void {
    if (this.view && !this.view.visible) return; // refreshed when shown
    if (this.pendingAll) {
      this.pendingAll = false;
      this.pending.clear();
      this.renders++;
      this.emitter.fire(undefined);
      return;
    }
    if (!this.pending.size) return;
    const els = [...this.pending];
    this.pending.clear();
    this.renders += els.length;
    this.emitter.fire(els);
  }

  private nodeEl(name: string): NodeElement {
    let e = this.nodeEls.get(name);
    if (!e) this.nodeEls.set(name, (e = { kind: 'node', name }));
    return e;
  }

  private runEl(runId: string): RunElement {
    let e = this.runEls.get(runId);
    if (!e) this.runEls.set(runId, (e = { kind: 'run', runId }));
    return e;
  }

  getChildren(el?: NodesElement): NodesElement[] {
    if (!el) {
      const cfg = this.state.config;
      if (cfg.state !== 'ready') return [];
      return this.state.nodes().map((n) => this.nodeEl(n.name));
    }
    if (el.kind === 'node') return this.state.runsOnNode(el.name).map((r) => this.runEl(r.run_id));
    return [];
  }

  getParent(el: NodesElement): NodesElement | undefined {
    if (el.kind === 'run') {
      const r = this.state.run(el.runId);
      return r ? this.nodeEl(r.node) : undefined;
    }
    return undefined;
  }

  getTreeItem(el: NodesElement): vscode.TreeItem {
    if (el.kind === 'node') {
      const node = this.state.node(el.name);
      if (!node) return new vscode.TreeItem(el.name);
      return nodeItem(node, this.state.health.get(el.name), this.state);
    }
    const r = this.state.run(el.runId);
    if (!r) return new vscode.TreeItem(el.runId);
    return runItem(r);
  }

  /** Elements for commands that get a node name or run id from elsewhere (dashboard, palette). */
  elementOfNode(name: string): NodeElement {
    return this.nodeEl(name);
  }
  elementOfRun(runId: string): RunElement {
    return this.runEl(runId);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

export function nodeDescription(node: NodeConfig, h: NodeHealth | undefined, active: number): string {
  const parts: string[] = [];
  const total = h?.ram_total_gb ?? node.ram_gb;
  if (h?.ram_used_gb !== undefined) parts.push(`${gb(h.ram_used_gb)}/${gb(total)} GB`);
  else parts.push(`${gb(node.ram_gb)} GB`);
  parts.push(`${active}/${node.max_instances}`);
  if (node.gpu) parts.push('GPU');
  return parts.join(' · ');
}

function nodeItem(node: NodeConfig, h: NodeHealth | undefined, state: ClusterState): vscode.TreeItem {
  const status = state.displayStatus(node.name);
  const active = state.activeOnNode(node.name).length;
  // Always expandable: VS Code keeps an id's first collapsible state, and runs arrive later.
  const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `node:${node.name}`;
  item.iconPath = nodeIcon(status);
  const maint = state.maintenanceSource(node.name);
  item.description = `${maint ? 'maintenance · ' : ''}${nodeDescription(node, h, active)}`;
  const transport = node.type === 'host' ? 'local' : 'ssh';
  item.contextValue = `node.${status}${maint ? `.${maint}` : ''}.${transport}`;
  item.tooltip = nodeTooltip(node, h, status, maint);
  item.accessibilityInformation = { label: `${node.name}, ${STATUS_WORD[status]}, ${item.description}` };
  return item;
}

export function nodeTooltip(node: NodeConfig, h: NodeHealth | undefined, status: string, maint: string | undefined): vscode.MarkdownString {
  const t = new vscode.MarkdownString(undefined, true);
  t.supportThemeIcons = true;
  t.isTrusted = { enabledCommands: ['clusterlab.checkNodeHealth', 'clusterlab.openTerminal', 'clusterlab.openConfig'] };
  const where = node.type === 'host' ? 'this machine (local)' : `${node.ssh_user ? `${node.ssh_user}@` : ''}${node.host ?? '?'}${node.ssh_port ? `:${node.ssh_port}` : ''}`;
  t.appendMarkdown(`**${md(node.name)}** — ${md(status === 'maintenance' ? `maintenance (${maint === 'manual' ? 'set in the editor' : 'config'})` : (STATUS_WORD[status as keyof typeof STATUS_WORD] ?? status))}\n\n`);
  if (h?.reason) t.appendMarkdown(`$(warning) ${md(h.reason)}\n\n`);
  const rows: [string, string][] = [
    ['Host', where],
    ['Type', node.type + (h?.arch ? ` (${h.arch})` : '')],
    ['RAM', h?.ram_total_gb !== undefined ? `${gb(h.ram_used_gb, 1)} of ${gb(h.ram_total_gb, 1)} GB used, ${gb(h.ram_available_gb, 1)} GB available (config: ${gb(node.ram_gb)} GB, ${gb(node.reserved_ram_gb)} reserved)` : `${gb(node.ram_gb)} GB (config), ${gb(node.reserved_ram_gb)} GB reserved`],
    ['Disk', h?.disk_total_gb !== undefined ? `${gb(h.disk_free_gb, 1)} of ${gb(h.disk_total_gb, 1)} GB free` : '—'],
    ['Load', h?.load_1m !== undefined ? `${h.load_1m.toFixed(2)} / ${h.load_5m?.toFixed(2) ?? '?'} / ${h.load_15m?.toFixed(2) ?? '?'}${h.cpu_count ? ` on ${h.cpu_count} cores` : ''}` : '—'],
    ['GPU', gpuText(node, h)],
    ['Temperature', h?.temperature_c !== undefined ? `${h.temperature_c.toFixed(0)} °C` : '—'],
    ['Instances', `max ${node.max_instances}`],
    ['Last probe', h ? `${ago(h.probed_at)}${h.latency_ms !== undefined ? ` (${h.latency_ms.toFixed(0)} ms)` : ''}` : 'never'],
  ];
  t.appendMarkdown('| | |\n|---|---|\n');
  for (const [k, v] of rows) t.appendMarkdown(`| ${k} | ${md(v)} |\n`);
  for (const w of h?.warnings ?? []) t.appendMarkdown(`\n$(info) ${md(w)}`);
  const arg = encodeURIComponent(JSON.stringify([node.name]));
  t.appendMarkdown(`\n\n[$(pulse) Check health](command:clusterlab.checkNodeHealth?${arg}) · [$(terminal) Terminal](command:clusterlab.openTerminal?${arg})`);
  return t;
}

function gpuText(node: NodeConfig, h: NodeHealth | undefined): string {
  if (!node.gpu && !h?.gpu) return 'none';
  const g = h?.gpu;
  if (!g) return node.gpu_memory_gb !== undefined ? `yes, ${gb(node.gpu_memory_gb)} GB (config)` : 'yes';
  const parts = [g.name ?? 'GPU'];
  if (g.memory_total_gb !== undefined) parts.push(`${gb(g.memory_used_gb, 1)}/${gb(g.memory_total_gb, 1)} GB`);
  if (g.utilization_percent !== undefined) parts.push(`${g.utilization_percent.toFixed(0)}%`);
  if (g.temperature_c !== undefined) parts.push(`${g.temperature_c.toFixed(0)} °C`);
  return parts.join(', ');
}

export function runDescription(r: RunRecord, now = Date.now()): string {
  const parts: string[] = [r.exit_code !== undefined ? `${r.status} (exit ${r.exit_code})` : r.status];
  if (r.started_at) {
    const end = r.ended_at ? Date.parse(r.ended_at) : now;
    const d = duration(end - Date.parse(r.started_at));
    if (d) parts.push(r.ended_at ? `ran ${d}` : `up ${d}`);
  }
  parts.push(r.node);
  return parts.join(' · ');
}

function runItem(r: RunRecord): vscode.TreeItem {
  const item = new vscode.TreeItem(r.instance_id, vscode.TreeItemCollapsibleState.None);
  item.id = `run:${r.run_id}`;
  item.iconPath = runIcon(r.status, r.exit_code);
  item.description = runDescription(r);
  item.contextValue = `instance.${r.status}`;
  const t = new vscode.MarkdownString(undefined, true);
  t.appendMarkdown(`**${md(r.instance_id)}** on **${md(r.node)}** — ${md(r.status)}${r.exit_code !== undefined ? ` (exit ${r.exit_code})` : ''}\n\n`);
  t.appendMarkdown(`| | |\n|---|---|\n| Run | ${md(r.run_id)} |\n| Command | \`${r.command.replace(/`/g, "'")}\` |\n| Log | ${md(r.log_path)} |\n`);
  if (r.placement) t.appendMarkdown(`| Placement | ${r.placement.manual ? 'manual' : `score ${r.placement.score.toFixed(1)}`} |\n`);
  if (r.started_at) t.appendMarkdown(`| Started | ${md(r.started_at)} |\n`);
  if (r.ended_at) t.appendMarkdown(`| Ended | ${md(r.ended_at)} |\n`);
  const last = r.transitions[r.transitions.length - 1];
  if (last?.reason) t.appendMarkdown(`\n${md(last.reason)}`);
  item.tooltip = t;
  item.command = { command: 'clusterlab.showLogs', title: 'Show Logs', arguments: [{ kind: 'run', runId: r.run_id }] };
  item.accessibilityInformation = { label: `${r.instance_id}, ${item.description}` };
  return item;
}
