// One dashboard panel: validates what the page sends, samples the history on a timer, and pushes
// deltas only while the panel is visible and the page has said 'ready'.
import * as vscode from 'vscode';
import { parseWebviewMessage, type HostMessage, type WebviewMessage } from '../../core/dashboard/protocol';
import { clampSamplingSeconds, DashboardSession } from '../../core/dashboard/session';
import { describeError } from '../../core/errors';
import { dashboardHtml } from './html';
import type { DashboardDataSource } from './source';

export const DASHBOARD_VIEW_TYPE = 'clusterlab.dashboard';
const CHANGE_DEBOUNCE_MS = 250;

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [webviewRoot(extensionUri)] };
}

export class DashboardPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private timerSeconds = 0;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private readonly onDisposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.onDisposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly source: DashboardDataSource,
    private readonly session: DashboardSession,
  ) {
    const webview = panel.webview;
    webview.options = panelOptions(extensionUri);
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      panel.onDidChangeViewState(() => {
        // The page is destroyed while hidden (retainContextWhenHidden: false) and says 'ready'
        // again when shown; until then nothing is sent.
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
      source.onDidChange(() => this.changed()),
      vscode.window.onDidChangeActiveColorTheme((t) => this.post({ type: 'theme', kind: themeKind(t.kind) })),
    );
    this.render();
    this.restartTimer();
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  private render(): void {
    const root = webviewRoot(this.extensionUri);
    const w = this.panel.webview;
    this.ready = false;
    w.html = dashboardHtml(w.cspSource, w.asWebviewUri(vscode.Uri.joinPath(root, 'dashboard.js')).toString(), w.asWebviewUri(vscode.Uri.joinPath(root, 'dashboard.css')).toString());
  }

  private receive(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.log(`Dashboard: ${parsed.reason}`);
      return;
    }
    this.handle(parsed.message);
  }

  private handle(msg: WebviewMessage): void {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.sendSnapshot();
        return;
      case 'command': {
        const target: { node?: string; run_id?: string } = {};
        if (msg.node !== undefined) target.node = msg.node;
        if (msg.run_id !== undefined) target.run_id = msg.run_id;
        this.guard(`command ${msg.command}`, () => this.source.runCommand(msg.command, target));
        return;
      }
      case 'setInterval':
        this.guard('setting the sampling interval', () => this.source.setSamplingSeconds(msg.seconds));
        this.applySampling(msg.seconds);
        return;
      case 'invalid':
        this.log(`Dashboard page: ${msg.reason}`);
        return;
    }
  }

  private applySampling(seconds: number): void {
    const s = clampSamplingSeconds(seconds);
    if (s === this.session.samplingSeconds && s === this.timerSeconds) return;
    this.session.setSamplingSeconds(s);
    this.restartTimer();
    this.post({ type: 'config', sampling_seconds: s });
  }

  private restartTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timerSeconds = this.session.samplingSeconds;
    this.timer = setInterval(() => this.tick(), this.timerSeconds * 1000);
  }

  /** A sampling tick: always recorded (the history covers the session), sent only if visible. */
  private tick(): void {
    const configured = clampSamplingSeconds(this.source.samplingSeconds());
    if (configured !== this.timerSeconds) {
      this.applySampling(configured);
      return;
    }
    const inputs = this.inputs();
    if (!inputs) return;
    const msg = this.session.sample(inputs, Date.now());
    this.post(msg);
  }

  private changed(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      if (!this.canSend()) return;
      const configured = clampSamplingSeconds(this.source.samplingSeconds());
      if (configured !== this.timerSeconds) this.applySampling(configured);
      const inputs = this.inputs();
      if (inputs) this.post(this.session.update(inputs, Date.now()));
    }, CHANGE_DEBOUNCE_MS);
  }

  private sendSnapshot(): void {
    const inputs = this.inputs();
    const at = Date.now();
    if (!inputs) {
      this.post({ type: 'snapshot', data: { cluster: '', at, sampling_seconds: this.session.samplingSeconds, nodes: [], instances: [], history: { capacity: 1, t: [], series: [] } } });
      return;
    }
    // A first point so that a freshly opened dashboard has something to draw.
    if (this.session.historyLength === 0) this.session.sample(inputs, at);
    this.post(this.session.snapshot(inputs, at));
  }

  private inputs(): ReturnType<DashboardDataSource['getSnapshot']> {
    try {
      return this.source.getSnapshot();
    } catch (e) {
      this.log(`Dashboard: could not read the cluster state (${describeError(e)})`);
      return undefined;
    }
  }

  private canSend(): boolean {
    return !this.disposed && this.ready && this.panel.visible;
  }

  private post(msg: HostMessage): void {
    if (!this.canSend()) return;
    void this.panel.webview.postMessage(msg).then(undefined, (e: unknown) => this.log(`Dashboard: could not send ${msg.type} (${describeError(e)})`));
  }

  private guard(what: string, f: () => Thenable<unknown> | void): void {
    try {
      const r = f();
      if (r) void Promise.resolve(r).catch((e: unknown) => this.log(`Dashboard: ${what} failed: ${describeError(e)}`));
    } catch (e) {
      this.log(`Dashboard: ${what} failed: ${describeError(e)}`);
    }
  }

  private log(line: string): void {
    if (this.source.log) this.source.log(line);
    else console.warn(line);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    this.onDisposeEmitter.fire();
    this.onDisposeEmitter.dispose();
  }
}

function themeKind(k: vscode.ColorThemeKind): 'light' | 'dark' | 'high-contrast' | 'high-contrast-light' {
  switch (k) {
    case vscode.ColorThemeKind.Light:
      return 'light';
    case vscode.ColorThemeKind.HighContrast:
      return 'high-contrast';
    case vscode.ColorThemeKind.HighContrastLight:
      return 'high-contrast-light';
    default:
      return 'dark';
  }
}
