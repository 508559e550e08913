// The dashboard's DOM: built once per node / row, then updated in place (text, widths, classes), so
// live updates never flicker. Every number has a `data-field` so tests can read it.
import type { InstanceRow, NodeView } from '../../src/core/dashboard/protocol';
import { formatDuration, uptimeSeconds } from '../../src/core/dashboard/model';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K];
export function el(tag: string, cls?: string, text?: string): HTMLElement;
export function el(tag: string, cls?: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const fmt = (v: number | undefined, digits = 1): string => (v === undefined ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(digits));
const pct = (part: number | undefined, whole: number | undefined): number | undefined => (part === undefined || !whole || whole <= 0 ? undefined : Math.max(0, Math.min(100, (100 * part) / whole)));

function setText(e: Element | null, s: string): void {
  if (e && e.textContent !== s) e.textContent = s;
}

/** A labelled bar: one or two fills (e.g. allocated under used) and a value line. */
class Bar {
  readonly root: HTMLElement;
  private readonly fills: HTMLElement[];
  private readonly value: HTMLElement;

  constructor(label: string, metric: string, fillClasses: string[]) {
    this.root = el('div', 'metric');
    this.root.dataset.metric = metric;
    const head = el('div', 'metric-head');
    head.append(el('span', 'metric-label', label));
    this.value = el('span', 'metric-value');
    head.append(this.value);
    const track = el('div', 'track');
    this.fills = fillClasses.map((c) => {
      const f = el('div', `fill ${c}`);
      track.append(f);
      return f;
    });
    this.root.append(head, track);
  }

  set(percents: (number | undefined)[], level?: 'warn' | 'bad'): void {
    this.fills.forEach((f, i) => {
      const p = percents[i];
      const w = p === undefined ? '0%' : `${p.toFixed(1)}%`;
      if (f.style.width !== w) f.style.width = w;
      f.classList.toggle('unknown', p === undefined);
    });
    this.root.classList.toggle('warn', level === 'warn');
    this.root.classList.toggle('bad', level === 'bad');
  }

  /** The value line: spans with data-field attributes. */
  valueLine(parts: (string | [field: string, text: string])[]): void {
    const key = JSON.stringify(parts);
    if (this.value.dataset.key === key) return;
    this.value.dataset.key = key;
    this.value.replaceChildren(
      ...parts.map((p) => {
        if (typeof p === 'string') return document.createTextNode(p);
        const s = el('span', undefined, p[1]);
        s.dataset.field = p[0];
        return s;
      }),
    );
  }

  show(on: boolean): void {
    this.root.hidden = !on;
  }
}

const level = (p: number | undefined, warn: number, bad: number): 'warn' | 'bad' | undefined => (p === undefined ? undefined : p >= bad ? 'bad' : p >= warn ? 'warn' : undefined);

export class NodeCard {
  readonly root: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly meta: HTMLElement;
  private readonly reason: HTMLElement;
  private readonly ram: Bar;
  private readonly cpu: Bar;
  private readonly gpuMem: Bar;
  private readonly gpuUtil: Bar;
  private readonly gpuTemp: Bar;
  private readonly disk: Bar;

  constructor(
    readonly name: string,
    onCommand: (command: 'checkHealth' | 'openTerminal', node: string) => void,
  ) {
    this.root = el('section', 'card');
    this.root.dataset.node = name;
    const head = el('header', 'card-head');
    const title = el('span', 'card-title', name);
    this.badge = el('vscode-badge', 'status');
    this.badge.dataset.field = 'status';
    const actions = el('span', 'card-actions');
    const check = el('button', 'link', 'Check');
    check.title = `Check the health of ${name}`;
    check.addEventListener('click', () => onCommand('checkHealth', name));
    const term = el('button', 'link', 'Terminal');
    term.title = `Open a terminal on ${name}`;
    term.addEventListener('click', () => onCommand('openTerminal', name));
    actions.append(check, term);
    head.append(title, this.badge, actions);
    this.meta = el('div', 'card-meta');
    this.reason = el('div', 'card-reason');
    this.ram = new Bar('RAM', 'ram', ['allocated', 'used']);
    this.cpu = new Bar('CPU load', 'cpu', ['load']);
    this.gpuMem = new Bar('GPU memory', 'gpu-memory', ['gpu']);
    this.gpuUtil = new Bar('GPU utilisation', 'gpu-util', ['gpu']);
    this.gpuTemp = new Bar('GPU temperature', 'gpu-temp', ['temp']);
    this.disk = new Bar('Disk', 'disk', ['disk']);
    const legend = el('div', 'ram-legend');
    legend.append(el('span', 'swatch allocated'), document.createTextNode('allocated by placement '), el('span', 'swatch used'), document.createTextNode('used (probe)'));
    this.root.append(head, this.meta, this.ram.root, legend, this.cpu.root, this.gpuMem.root, this.gpuUtil.root, this.gpuTemp.root, this.disk.root, this.reason);
  }

  update(v: NodeView): void {
    setText(this.badge, v.status);
    this.badge.className = `status status-${v.status}`;
    this.root.classList.toggle('offline', v.status === 'unavailable' || v.status === 'unknown');
    const metaParts = [v.type, v.host, `${v.instances}/${v.max_instances} instances`, v.gpu_capable ? 'GPU' : undefined].filter((x): x is string => !!x);
    this.meta.replaceChildren();
    metaParts.forEach((p, i) => {
      if (i) this.meta.append(document.createTextNode(' · '));
      if (p.endsWith(' instances')) {
        const a = el('span', undefined, String(v.instances));
        a.dataset.field = 'instances';
        const b = el('span', undefined, String(v.max_instances));
        b.dataset.field = 'max-instances';
        this.meta.append(a, document.createTextNode('/'), b, document.createTextNode(' instances'));
      } else this.meta.append(document.createTextNode(p));
    });

    const total = v.ram.total_gb;
    const usedP = pct(v.ram.used_gb, v.ram.measured_total_gb ?? total);
    this.ram.set([pct(v.ram.allocated_gb, total), usedP], level(usedP, 80, 90));
    this.ram.valueLine([
      ['ram-allocated-gb', fmt(v.ram.allocated_gb, 2)],
      ' alloc (',
      ['ram-utilization-percent', fmt(v.ram.utilization_percent, 2)],
      '%) · ',
      ['ram-used-gb', fmt(v.ram.used_gb)],
      ' used / ',
      ['ram-total-gb', fmt(total, 2)],
      ' GB',
    ]);

    const loadP = v.cpu.load_per_core === undefined ? undefined : Math.min(100, 100 * v.cpu.load_per_core);
    this.cpu.set([loadP], level(loadP, 80, 100));
    this.cpu.valueLine([['load-1m', fmt(v.cpu.load_1m, 2)], ' on ', ['cores', fmt(v.cpu.cores)], ' cores (', ['load-per-core', v.cpu.load_per_core === undefined ? '–' : (100 * v.cpu.load_per_core).toFixed(0)], '%)']);

    const g = v.gpu;
    for (const b of [this.gpuMem, this.gpuUtil, this.gpuTemp]) b.show(!!g);
    if (g) {
      const mp = pct(g.memory_used_gb, g.memory_total_gb);
      this.gpuMem.set([mp], level(mp, 85, 95));
      this.gpuMem.valueLine([['gpu-memory-used-gb', fmt(g.memory_used_gb)], ' / ', ['gpu-memory-total-gb', fmt(g.memory_total_gb)], ' GB']);
      this.gpuUtil.set([g.utilization_percent]);
      this.gpuUtil.valueLine([['gpu-util-percent', fmt(g.utilization_percent)], '%']);
      const tp = g.temperature_c === undefined ? undefined : Math.max(0, Math.min(100, g.temperature_c));
      this.gpuTemp.set([tp], level(g.temperature_c, 75, 85));
      this.gpuTemp.valueLine([['gpu-temp-c', fmt(g.temperature_c)], ' °C']);
    }

    const dUsed = v.disk.total_gb !== undefined && v.disk.free_gb !== undefined ? v.disk.total_gb - v.disk.free_gb : undefined;
    const dp = pct(dUsed, v.disk.total_gb);
    this.disk.set([dp], level(dp, 85, 95));
    this.disk.valueLine([['disk-free-gb', fmt(v.disk.free_gb)], ' free / ', ['disk-total-gb', fmt(v.disk.total_gb)], ' GB']);

    const why = [v.reason, ...v.warnings].filter((x): x is string => !!x).join(' · ');
    setText(this.reason, why);
    this.reason.hidden = !why;
    this.root.title = v.probed_at ? `Last probe: ${v.probed_at}` : 'Not probed yet';
  }
}

const COLUMNS = ['Instance', 'Node', 'Status', 'Uptime', 'Exit code', 'Restarts', ''];

export class InstanceTable {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private readonly empty: HTMLElement;
  private rows = new Map<string, { row: HTMLElement; cells: HTMLElement[]; data: InstanceRow }>();

  constructor(private readonly onCommand: (command: 'showLogs' | 'stopInstance', runId: string) => void) {
    this.root = el('div', 'instances');
    const table = el('vscode-table');
    table.setAttribute('zebra', '');
    table.setAttribute('bordered-rows', '');
    table.setAttribute('columns', JSON.stringify(['26%', '14%', '14%', '13%', '11%', '10%', '12%']));
    const header = el('vscode-table-header');
    header.setAttribute('slot', 'header');
    for (const c of COLUMNS) header.append(el('vscode-table-header-cell', undefined, c));
    this.body = el('vscode-table-body');
    this.body.setAttribute('slot', 'body');
    table.append(header, this.body);
    this.empty = el('p', 'empty', 'No runs yet. Run an experiment and its instances appear here.');
    this.root.append(table, this.empty);
  }

  setRows(rows: readonly InstanceRow[], at: number): void {
    const keep = new Set(rows.map((r) => r.run_id));
    for (const [id, r] of this.rows) {
      if (!keep.has(id)) {
        r.row.remove();
        this.rows.delete(id);
      }
    }
    rows.forEach((data, i) => {
      let r = this.rows.get(data.run_id);
      if (!r) {
        const row = el('vscode-table-row');
        row.dataset.run = data.run_id;
        const cells = COLUMNS.map(() => el('vscode-table-cell'));
        const logs = el('button', 'link', 'Logs');
        logs.addEventListener('click', () => this.onCommand('showLogs', data.run_id));
        cells[6]!.append(logs);
        row.append(...cells);
        r = { row, cells, data };
        this.rows.set(data.run_id, r);
      }
      r.data = data;
      const c = r.cells;
      setText(c[0]!, data.instance_id);
      setText(c[1]!, data.node);
      let st = c[2]!.firstElementChild as HTMLElement | null;
      if (!st) {
        st = el('span');
        st.dataset.field = 'run-status';
        c[2]!.append(st);
      }
      setText(st, data.status);
      st.className = `run-status run-${data.status}`;
      setText(c[4]!, data.exit_code === undefined ? '–' : String(data.exit_code));
      setText(c[5]!, String(data.restarts));
      if (this.body.children[i] !== r.row) this.body.insertBefore(r.row, this.body.children[i] ?? null);
    });
    this.tick(at);
    this.empty.hidden = rows.length > 0;
  }

  /** Refresh the uptimes only. */
  tick(at: number): void {
    for (const r of this.rows.values()) setText(r.cells[3]!, formatDuration(uptimeSeconds(r.data, at)));
  }
}
