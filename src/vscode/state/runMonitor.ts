// While any run is active, asks the session to reconcile every second or so (the session holds
// no timers), so instances move to exited/crashed/lost without the user doing anything.
import * as vscode from 'vscode';
import { isActive } from '../../core/runs/stateMachine';
import type { ClusterState } from './clusterState';
import type { RemoteServices } from '../remote/services';
import { log } from '../log';

export class RunMonitor implements vscode.Disposable {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private busy = false;
  private readonly sub: vscode.Disposable;

  constructor(
    private readonly state: ClusterState,
    private readonly services: RemoteServices,
    private readonly intervalMs = 1000,
  ) {
    this.sub = state.onDidChange(() => this.kick());
  }

  kick(): void {
    if (this.timer || !vscode.workspace.isTrusted) return;
    if (!this.state.runs().some((r) => isActive(r.status))) return;
    this.timer = setTimeout(() => void this.tick(), this.intervalMs);
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.state.config.cluster) await this.services.runSession().reconcile(this.state.runs().filter((r) => isActive(r.status)));
    } catch (e) {
      log().warn(`reconcile: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.busy = false;
    }
    this.kick();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.sub.dispose();
  }
}
