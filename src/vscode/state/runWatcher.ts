// Keeps ClusterState's run records in step with `.clusterlab/runs/` (written by the session, by
// the CLI, or by another window), re-reading on file changes, debounced.
import * as vscode from 'vscode';
import { RunStore } from '../../remote/runStore';
import type { ClusterState } from './clusterState';
import { debounce } from '../debounce';
import { log } from '../log';

export class RunWatcher implements vscode.Disposable {
  private watcher: vscode.FileSystemWatcher | undefined;
  private root: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  readonly reload = debounce(() => void this.load(), 100);

  constructor(private readonly state: ClusterState) {
    this.disposables.push(state.config.onDidChange(() => this.rootChanged()));
    this.rootChanged();
  }

  private rootChanged(): void {
    const root = this.state.config.rootUri;
    if (!root || root.fsPath === this.root) return;
    this.root = root.fsPath;
    this.watcher?.dispose();
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(root, '.clusterlab/runs/*.json'));
    this.watcher.onDidCreate(this.reload);
    this.watcher.onDidChange(this.reload);
    this.watcher.onDidDelete(this.reload);
    this.reload();
  }

  store(): RunStore | undefined {
    return this.root ? new RunStore(this.root) : undefined;
  }

  async load(): Promise<void> {
    const store = this.store();
    if (!store) return;
    const problems: string[] = [];
    const runs = await store.list(problems);
    for (const p of problems) log().warn(p);
    this.state.setRuns(runs);
  }

  dispose(): void {
    this.reload.cancel();
    this.watcher?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
