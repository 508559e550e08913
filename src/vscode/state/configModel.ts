// Finds the cluster file and the experiment files (by the settings), validates them through the
// core's one code path, publishes positioned diagnostics, and keeps the current model.
// Re-validates on open, on change (debounced), on save and on disk changes.
import * as vscode from 'vscode';
import { validateWorkspace, validateClusterText, validateExperimentText, type SourceText, type WorkspaceModel } from '../../core/config/validate';
import type { ClusterFile } from '../../core/config/schema';
import type { Diagnostic as CoreDiagnostic } from '../../core/config/diagnostics';
import { debounce } from '../debounce';
import { readSettings, onDidChangeSettings, type Settings } from '../settings';
import { log } from '../log';

export type ConfigState = 'loading' | 'noConfig' | 'invalid' | 'noNodes' | 'ready';

export const DIAGNOSTIC_SOURCE = 'clusterlab';
const EXCLUDE = '{**/node_modules/**,**/.git/**,**/.clusterlab/**,**/.vscode-test/**}';

export class ConfigModel implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE);
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  private settings: Settings = readSettings();
  private watchers: vscode.Disposable[] = [];
  private generation = 0;

  state: ConfigState = 'loading';
  clusterUri: vscode.Uri | undefined;
  experimentUris: vscode.Uri[] = [];
  /** The whole workspace model, when every file is free of errors. */
  model: WorkspaceModel | undefined;
  /** The cluster config alone, when the cluster file is free of errors (experiments may not be). */
  cluster: ClusterFile | undefined;
  diagnostics: CoreDiagnostic[] = [];

  constructor() {
    const soon = debounce(() => void this.validate(), 200);
    this.disposables.push(
      this.collection,
      this.emitter,
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && this.isConfigDocument(e.document)) soon();
      }),
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (this.isConfigDocument(d)) soon();
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        // A closed, unsaved standalone file: drop its diagnostics with the next pass.
        if (this.isConfigDocument(d)) soon();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.refresh()),
      onDidChangeSettings(() => {
        this.settings = readSettings();
        void this.refresh();
      }),
      { dispose: () => soon.cancel() },
    );
    this.watch();
  }

  /** Watches the cluster-file names and the experiment pattern on disk. */
  private watch(): void {
    for (const w of this.watchers) w.dispose();
    const patterns = [...this.settings.clusterFile.map(globOf), `**/${this.settings.experimentFiles}`];
    const soon = debounce(() => void this.refresh(), 200);
    this.watchers = patterns.map((p) => {
      const w = vscode.workspace.createFileSystemWatcher(p);
      w.onDidCreate(soon);
      w.onDidDelete(soon);
      w.onDidChange(soon);
      return w;
    });
    this.watchers.push({ dispose: () => soon.cancel() });
  }

  /** Finds the files again, then validates. */
  async refresh(): Promise<void> {
    this.watch();
    this.clusterUri = await this.findClusterFile();
    this.experimentUris = this.clusterUri ? await this.findExperimentFiles(this.clusterUri) : [];
    log().info(this.clusterUri ? `cluster file ${this.clusterUri.fsPath}, ${this.experimentUris.length} experiment file(s)` : `no cluster file (${this.settings.clusterFile.join(', ')}) in the workspace`);
    await this.validate();
  }

  async findClusterFile(): Promise<vscode.Uri | undefined> {
    if (!vscode.workspace.workspaceFolders?.length) return undefined;
    for (const name of this.settings.clusterFile) {
      const found = await vscode.workspace.findFiles(globOf(name), EXCLUDE, 50);
      if (found.length) {
        // The shallowest match wins (the workspace root's cluster.yaml before examples/*/cluster.yaml).
        found.sort((a, b) => depth(a) - depth(b) || a.path.localeCompare(b.path));
        return found[0];
      }
    }
    return undefined;
  }

  private async findExperimentFiles(clusterUri: vscode.Uri): Promise<vscode.Uri[]> {
    const base = vscode.Uri.joinPath(clusterUri, '..');
    const found = await vscode.workspace.findFiles(new vscode.RelativePattern(base, this.settings.experimentFiles), EXCLUDE, 2000);
    return found.sort((a, b) => a.path.localeCompare(b.path));
  }

  isClusterDocument(doc: vscode.TextDocument): boolean {
    if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled' && doc.uri.scheme !== 'vscode-remote') return false;
    return this.settings.clusterFile.some((name) => matches(doc, name));
  }

  isExperimentDocument(doc: vscode.TextDocument): boolean {
    if (this.experimentUris.some((u) => u.toString() === doc.uri.toString())) return true;
    return vscode.languages.match({ pattern: `**/${this.settings.experimentFiles}` }, doc) > 0;
  }

  isConfigDocument(doc: vscode.TextDocument): boolean {
    return this.isClusterDocument(doc) || this.isExperimentDocument(doc);
  }

  /** Validates the workspace's files, and open config files outside it on their own. */
  async validate(): Promise<CoreDiagnostic[]> {
    const gen = ++this.generation;
    const byUri = new Map<string, vscode.Uri>();
    const texts = async (uris: vscode.Uri[]): Promise<SourceText[]> => Promise.all(uris.map((u) => readText(u).then((text) => ((byUri.set(u.fsPath, u), { file: u.fsPath, text })))));
    const diagnostics: CoreDiagnostic[] = [];
    let model: WorkspaceModel | undefined;
    let cluster: ClusterFile | undefined;
    const covered = new Set<string>();
    if (this.clusterUri) {
      const [c] = await texts([this.clusterUri]);
      const exps = await texts(this.experimentUris);
      if (gen !== this.generation || !c) return this.diagnostics;
      const t0 = performance.now();
      const r = validateWorkspace(c, exps);
      model = r.model;
      cluster = r.model?.cluster ?? validateClusterText(c).config;
      diagnostics.push(...r.diagnostics);
      log().trace(`validated ${1 + exps.length} file(s) in ${(performance.now() - t0).toFixed(1)} ms`);
      covered.add(this.clusterUri.toString());
      for (const u of this.experimentUris) covered.add(u.toString());
    }
    // Open config files that are not part of the workspace model (e.g. examples/*/cluster.yaml).
    for (const doc of vscode.workspace.textDocuments) {
      if (covered.has(doc.uri.toString()) || doc.isClosed) continue;
      const src = { file: doc.uri.fsPath, text: doc.getText() };
      if (this.isClusterDocument(doc)) {
        byUri.set(src.file, doc.uri);
        diagnostics.push(...validateClusterText(src).diagnostics);
      } else if (this.isExperimentDocument(doc)) {
        byUri.set(src.file, doc.uri);
        diagnostics.push(...validateExperimentText(src).diagnostics);
      }
    }
    if (gen !== this.generation) return this.diagnostics;
    this.publish(diagnostics, byUri);
    this.model = model;
    this.cluster = cluster;
    this.diagnostics = diagnostics;
    const clusterErrors = this.clusterUri ? diagnostics.some((d) => d.severity === 'error' && d.file === this.clusterUri?.fsPath) : false;
    this.state = !this.clusterUri ? 'noConfig' : clusterErrors || !cluster ? 'invalid' : cluster.nodes.length === 0 ? 'noNodes' : 'ready';
    void vscode.commands.executeCommand('setContext', 'clusterlab.state', this.state);
    void vscode.commands.executeCommand('setContext', 'clusterlab.hasConfig', this.clusterUri !== undefined);
    log().debug(`config state ${this.state}: ${diagnostics.length} diagnostic(s)`);
    this.emitter.fire();
    return diagnostics;
  }

  private publish(diagnostics: CoreDiagnostic[], byUri: Map<string, vscode.Uri>): void {
    const grouped = new Map<string, vscode.Diagnostic[]>();
    for (const uri of byUri.values()) grouped.set(uri.toString(), []);
    for (const d of diagnostics) {
      const uri = byUri.get(d.file) ?? vscode.Uri.file(d.file);
      const list = grouped.get(uri.toString()) ?? [];
      list.push(toVscode(d));
      grouped.set(uri.toString(), list);
    }
    this.collection.clear();
    for (const [key, list] of grouped) if (list.length) this.collection.set(vscode.Uri.parse(key), list);
  }

  /** Folder the cluster file lives in (the workspace root of the cluster), if any. */
  get rootUri(): vscode.Uri | undefined {
    return this.clusterUri ? vscode.Uri.joinPath(this.clusterUri, '..') : vscode.workspace.workspaceFolders?.[0]?.uri;
  }

  dispose(): void {
    for (const w of this.watchers) w.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

export function toVscode(d: CoreDiagnostic): vscode.Diagnostic {
  const r = new vscode.Range(d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character);
  const v = new vscode.Diagnostic(r, d.message, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
  v.source = DIAGNOSTIC_SOURCE;
  v.code = d.code;
  return v;
}

function globOf(name: string): string {
  return name.includes('/') ? name : `**/${name}`;
}

function matches(doc: vscode.TextDocument, name: string): boolean {
  if (!name.includes('/') && !/[*?{[]/.test(name)) return doc.uri.path.endsWith(`/${name}`);
  return vscode.languages.match({ pattern: globOf(name) }, doc) > 0;
}

function depth(u: vscode.Uri): number {
  return u.path.split('/').length;
}

/** The editor's text when the file is open (unsaved edits count), else the file on disk. */
async function readText(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return open.getText();
  try {
    const bytes = await vscode.workspace.fs.readFile(uri);
    return new TextDecoder('utf-8').decode(bytes);
  } catch {
    return '';
  }
}
