// Dashboard webview entry. Validates every message from the host with the shared zod contract,
// updates the DOM in place, keeps the history charts with uPlot, and saves its UI state.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import { parseHostMessage, type HostMessage, type NodeView, type SnapshotData, type WebviewMessage } from '../../src/core/dashboard/protocol';
import { historyPoint } from '../../src/core/dashboard/model';
import { ClientHistory, NodeChart, readColors } from './charts';
import { el, InstanceTable, NodeCard } from './view';

interface VsCodeApi {
  postMessage(msg: WebviewMessage): void;
  getState(): unknown;
  setState(s: UiState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface UiState {
  open: Record<string, boolean>;
}

const vscode = acquireVsCodeApi();
const SAMPLING_CHOICES = [1, 2, 5, 10, 30, 60, 300];

function loadState(): UiState {
  const s = vscode.getState();
  if (s && typeof s === 'object' && 'open' in s && s.open && typeof s.open === 'object') {
    const open: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(s.open as Record<string, unknown>)) if (typeof v === 'boolean') open[k] = v;
    return { open };
  }
  return { open: {} };
}
const ui = loadState();

function section(id: string, heading: string, defaultOpen: boolean): { root: HTMLElement; body: HTMLElement } {
  const c = el('vscode-collapsible');
  c.id = `section-${id}`;
  c.setAttribute('heading', heading);
  if (ui.open[id] ?? defaultOpen) c.setAttribute('open', '');
  c.addEventListener('vsc-collapsible-toggle', () => {
    ui.open[id] = c.hasAttribute('open') || (c as HTMLElement & { open?: boolean }).open === true;
    vscode.setState(ui);
  });
  const body = el('div', 'section-body');
  c.append(body);
  return { root: c, body };
}

class Dashboard {
  private readonly header = el('header', 'top');
  private readonly title = el('h1', 'title', 'ClusterLab');
  private readonly updated = el('span', 'updated');
  private readonly select = el('vscode-single-select') as HTMLElement & { value: string };
  private readonly empty = el('div', 'empty-state');
  private readonly nodesBody: HTMLElement;
  private readonly historyBody: HTMLElement;
  private readonly table: InstanceTable;
  private readonly cards = new Map<string, NodeCard>();
  private readonly charts = new Map<string, NodeChart>();
  private readonly chartBoxes = new Map<string, HTMLElement>();
  private readonly history = new ClientHistory();
  private lastAt = 0;
  private sampling = 5;

  constructor(root: HTMLElement) {
    const send = (m: WebviewMessage): void => vscode.postMessage(m);
    const left = el('div', 'top-left');
    left.append(this.title, this.updated);
    const right = el('div', 'top-right');
    const label = el('label', 'sampling-label', 'Sample every');
    for (const s of SAMPLING_CHOICES) {
      const o = el('vscode-option', undefined, s < 60 ? `${s} s` : `${s / 60} min`);
      o.setAttribute('value', String(s));
      this.select.append(o);
    }
    this.select.id = 'sampling';
    this.select.addEventListener('change', () => {
      const s = Number(this.select.value);
      if (Number.isInteger(s) && s !== this.sampling) send({ type: 'setInterval', seconds: s });
    });
    const check = el('vscode-button', undefined, 'Check health');
    check.addEventListener('click', () => send({ type: 'command', command: 'checkHealth' }));
    const config = el('vscode-button', undefined, 'Open config');
    config.setAttribute('secondary', '');
    config.addEventListener('click', () => send({ type: 'command', command: 'openConfig' }));
    right.append(label, this.select, check, config);
    this.header.append(left, right);

    const nodes = section('nodes', 'Nodes', true);
    const history = section('history', 'History over this session', true);
    const instances = section('instances', 'Instances', true);
    this.nodesBody = el('div', 'cards');
    nodes.body.append(this.nodesBody);
    this.historyBody = el('div', 'charts');
    history.body.append(this.historyBody);
    this.table = new InstanceTable((command, runId) => send({ type: 'command', command, run_id: runId }));
    instances.body.append(this.table.root);
    this.empty.hidden = true;
    root.replaceChildren(this.header, this.empty, nodes.root, history.root, instances.root);

    // Theme: VS Code swaps the body's classes (vscode-light / vscode-dark / vscode-high-contrast).
    new MutationObserver(() => this.themeChanged()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    setInterval(() => this.table.tick(this.lastAt ? Date.now() : 0), 1000);
  }

  receive(m: HostMessage): void {
    switch (m.type) {
      case 'snapshot':
        this.snapshot(m.data);
        return;
      case 'sample':
      case 'update':
        this.nodes(m.nodes, m.at);
        if (m.instances) this.table.setRows(m.instances, m.at);
        if (m.type === 'sample') {
          this.history.push(m.at, new Map(m.nodes.map((n) => [n.name, historyPoint(n)])));
          this.drawHistory();
        }
        return;
      case 'config':
        this.setSampling(m.sampling_seconds);
        return;
      case 'theme':
        this.themeChanged();
        return;
    }
  }

  private snapshot(d: SnapshotData): void {
    this.title.textContent = d.cluster ? `ClusterLab · ${d.cluster}` : 'ClusterLab';
    this.setSampling(d.sampling_seconds);
    this.history.load(d.history);
    if (!d.cluster) {
      this.empty.replaceChildren(el('p', undefined, 'No valid cluster file. Create or fix cluster.yaml, then the dashboard fills in.'));
      this.empty.hidden = false;
    } else if (d.nodes.length === 0) {
      this.empty.replaceChildren(el('p', undefined, 'The cluster file lists no nodes yet.'));
      this.empty.hidden = false;
    } else this.empty.hidden = true;
    this.nodes(d.nodes, d.at);
    this.table.setRows(d.instances, d.at);
    this.drawHistory();
  }

  private setSampling(s: number): void {
    this.sampling = s;
    if (!SAMPLING_CHOICES.includes(s) && !this.select.querySelector(`vscode-option[value="${s}"]`)) {
      const o = el('vscode-option', undefined, `${s} s`);
      o.setAttribute('value', String(s));
      this.select.append(o);
    }
    this.select.value = String(s);
  }

  private nodes(views: readonly NodeView[], at: number): void {
    this.lastAt = at;
    this.updated.textContent = `updated ${new Date(at).toLocaleTimeString()}`;
    const names = new Set(views.map((v) => v.name));
    for (const [name, card] of this.cards) {
      if (!names.has(name)) {
        card.root.remove();
        this.cards.delete(name);
        this.charts.get(name)?.destroy();
        this.chartBoxes.get(name)?.remove();
        this.charts.delete(name);
        this.chartBoxes.delete(name);
      }
    }
    const colors = readColors();
    views.forEach((v, i) => {
      let card = this.cards.get(v.name);
      if (!card) {
        card = new NodeCard(v.name, (command, node) => vscode.postMessage({ type: 'command', command, node }));
        this.cards.set(v.name, card);
      }
      if (this.nodesBody.children[i] !== card.root) this.nodesBody.insertBefore(card.root, this.nodesBody.children[i] ?? null);
      card.update(v);
      if (!this.charts.has(v.name)) {
        const box = el('div', 'chart');
        box.dataset.node = v.name;
        this.chartBoxes.set(v.name, box);
        box.append(el('div', 'chart-title', v.name));
        const plot = el('div', 'chart-plot');
        box.append(plot);
        this.historyBody.append(box);
        const chart = new NodeChart(v.name, plot, v.gpu_capable);
        this.charts.set(v.name, chart);
        chart.build(colors);
      }
    });
  }

  private drawHistory(): void {
    for (const [name, chart] of this.charts) chart.setSeries(this.history.t, this.history.series.get(name));
  }

  private themeChanged(): void {
    const colors = readColors();
    for (const chart of this.charts.values()) chart.build(colors);
    this.drawHistory();
  }
}

const app = document.getElementById('app');
if (app) {
  const dash = new Dashboard(app);
  window.addEventListener('message', (ev: MessageEvent<unknown>) => {
    const parsed = parseHostMessage(ev.data);
    if (!parsed.ok) {
      console.warn(`ClusterLab dashboard: ${parsed.reason}`);
      vscode.postMessage({ type: 'invalid', reason: parsed.reason.slice(0, 2000) });
      return;
    }
    try {
      dash.receive(parsed.message);
    } catch (e) {
      const reason = `could not show a ${parsed.message.type} message: ${e instanceof Error ? e.message : String(e)}`;
      console.error(`ClusterLab dashboard: ${reason}`);
      vscode.postMessage({ type: 'invalid', reason: reason.slice(0, 2000) });
    }
  });
  vscode.postMessage({ type: 'ready' });
}
