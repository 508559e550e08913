// History charts (uPlot), one per node. Data is updated in place with setData; the charts are only
// re-created when the colour theme changes (uPlot caches its colours).
import uPlot from 'uplot';
import type { History, NodeSeries } from '../../src/core/dashboard/protocol';
import { SERIES_KEYS } from '../../src/core/dashboard/model';

interface Colors {
  fg: string;
  muted: string;
  grid: string;
  series: string[];
}

const SERIES_LABELS: Record<(typeof SERIES_KEYS)[number], string> = {
  ram_used_percent: 'RAM used',
  ram_allocated_percent: 'RAM allocated',
  load_percent: 'CPU load/core',
  gpu_util_percent: 'GPU util',
};
const SERIES_COLOR_VARS = ['--vscode-charts-orange', '--vscode-charts-blue', '--vscode-charts-green', '--vscode-charts-purple'];
const FALLBACK = ['#d18616', '#3794ff', '#89d185', '#b180d7'];

export function readColors(): Colors {
  const cs = getComputedStyle(document.body);
  const v = (name: string, fallback: string): string => cs.getPropertyValue(name).trim() || fallback;
  return {
    fg: v('--vscode-editor-foreground', '#cccccc'),
    muted: v('--vscode-descriptionForeground', '#999999'),
    grid: v('--vscode-editorWidget-border', v('--vscode-panel-border', 'rgba(128,128,128,0.35)')),
    series: SERIES_COLOR_VARS.map((c, i) => v(c, FALLBACK[i] ?? '#888')),
  };
}

type Data = [number[], ...(number | null)[][]];

export class NodeChart {
  private plot: uPlot | undefined;
  private data: Data = [[], [], [], [], []];
  private readonly resize: ResizeObserver;

  constructor(
    readonly node: string,
    private readonly host: HTMLElement,
    private readonly showGpu: boolean,
  ) {
    this.resize = new ResizeObserver(() => this.fit());
  }

  /** (Re)create the plot with the current theme colours. */
  build(colors: Colors): void {
    this.plot?.destroy();
    const axis = (unit: string): uPlot.Axis => ({
      stroke: colors.muted,
      grid: { stroke: colors.grid, width: 1 },
      ticks: { stroke: colors.grid, width: 1 },
      font: '11px var(--vscode-font-family, sans-serif)',
      values: unit ? (_u, vals) => vals.map((x) => `${x}${unit}`) : undefined,
    });
    const series: uPlot.Series[] = [{ label: 'time' }];
    SERIES_KEYS.forEach((k, i) => {
      series.push({ label: SERIES_LABELS[k], stroke: colors.series[i], width: 1.5, spanGaps: false, show: k !== 'gpu_util_percent' || this.showGpu, value: (_u, v) => (v === null || v === undefined ? '–' : `${v.toFixed(1)}%`) });
    });
    this.plot = new uPlot(
      {
        width: Math.max(200, this.host.clientWidth),
        height: 150,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(100, Math.ceil((max ?? 0) / 50) * 50)] } },
        axes: [axis(''), { ...axis('%'), size: 44 }],
        series,
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
      },
      this.data,
      this.host,
    );
    this.resize.disconnect();
    this.resize.observe(this.host);
  }

  setSeries(t: number[], s: NodeSeries | undefined): void {
    const n = t.length;
    const col = (k: (typeof SERIES_KEYS)[number]): (number | null)[] => (s ? s[k].slice(-n) : new Array<number | null>(n).fill(null));
    this.data = [t.map((x) => x / 1000), ...SERIES_KEYS.map(col)] as Data;
    this.plot?.setData(this.data);
  }

  private fit(): void {
    if (!this.plot) return;
    const w = Math.max(200, this.host.clientWidth);
    if (Math.abs(w - this.plot.width) > 1) this.plot.setSize({ width: w, height: 150 });
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }
}

/** The webview's copy of the session history, appended to on each 'sample'. */
export class ClientHistory {
  capacity = 1;
  t: number[] = [];
  series = new Map<string, NodeSeries>();

  load(h: History): void {
    this.capacity = h.capacity;
    this.t = [...h.t];
    this.series = new Map(h.series.map((s) => [s.node, s]));
  }

  push(at: number, points: Map<string, Record<(typeof SERIES_KEYS)[number], number | null>>): void {
    this.t.push(at);
    for (const [node, p] of points) {
      let s = this.series.get(node);
      if (!s) {
        const pad = (): (number | null)[] => new Array<number | null>(this.t.length - 1).fill(null);
        s = { node, ram_used_percent: pad(), ram_allocated_percent: pad(), load_percent: pad(), gpu_util_percent: pad() };
        this.series.set(node, s);
      }
      for (const k of SERIES_KEYS) s[k].push(p[k]);
    }
    for (const [node, s] of this.series) if (!points.has(node)) for (const k of SERIES_KEYS) s[k].push(null);
    const extra = this.t.length - this.capacity;
    if (extra > 0) {
      this.t.splice(0, extra);
      for (const s of this.series.values()) for (const k of SERIES_KEYS) s[k].splice(0, extra);
    }
  }
}
