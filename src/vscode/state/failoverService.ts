// Failover in the editor: while the workspace is trusted and runs are active (or waiting for a
// restart), a HealthMonitor (the cluster's `health:` settings) and a FailoverController run on the
// shared session, as coordinator "VS Code". Only the holder of the coordinator lease
// (.clusterlab/coordinator.lock) acts; when `clusterlab monitor` holds it, this one watches and
// says so once. Every FailoverEvent goes to the "ClusterLab" log; node_down, run_restarted,
// run_replaced and run_gave_up also show a notification with "Show Logs". Node liveness feeds the
// tree: a node marked down shows as unavailable (one missed probe never flips it), and its runs
// as lost (the controller marks them; the session's run-changed reaches ClusterState).
import * as vscode from 'vscode';
import { byInstance, failoverPending, policyOf } from '../../core/failover/decide';
import { nodeWorkDir } from '../../core/runs/plan';
import { isActive } from '../../core/runs/stateMachine';
import type { RunRecord } from '../../core/runs/types';
import { FailoverController, type FailoverEvent } from '../../remote/failover';
import { HealthMonitor, type ProbeEvent } from '../../remote/monitor';
import type { ClusterSession } from '../../remote/session';
import { debounce } from '../debounce';
import { log } from '../log';
import type { RemoteServices } from '../remote/services';
import type { ClusterState } from './clusterState';

const NOTIFY = new Set<FailoverEvent['event']>(['node_down', 'run_restarted', 'run_replaced', 'run_gave_up']);

export class FailoverService implements vscode.Disposable {
  private controller: FailoverController | undefined;
  private monitor: HealthMonitor | undefined;
  private session: ClusterSession | undefined;
  private stopping: Promise<void> | undefined;
  private disposed = false;
  private readonly subs: vscode.Disposable[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly check = debounce(() => {
    this.chain = this.chain.then(() => this.reconsider()).catch((e: unknown) => log().warn(`failover: ${e instanceof Error ? e.message : String(e)}`));
  }, 250);

  constructor(
    private readonly state: ClusterState,
    private readonly services: RemoteServices,
  ) {
    this.subs.push(
      state.onDidChange(() => this.check()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.check()),
    );
    this.check();
  }

  /** Whether the monitor and failover loop are running. */
  get running(): boolean {
    return this.controller !== undefined;
  }

  /** Runs that keep the loop going: active, or crashed/failed/lost with a restart still due. */
  private needed(): boolean {
    const cluster = this.state.config.cluster;
    if (!cluster) return false;
    const instances = this.state.config.model?.instances ?? [];
    const newest = [...byInstance(this.state.runs()).values()].map((l) => l[l.length - 1] as RunRecord);
    return newest.some((r) => isActive(r.status) || failoverPending(r, policyOf(instances.find((i) => i.instance_id === r.instance_id) ?? r.instance_config, cluster.failover)));
  }

  private async reconsider(): Promise<void> {
    if (this.disposed) return;
    await this.stopping;
    const want = vscode.workspace.isTrusted && this.needed();
    let session: ClusterSession | undefined;
    if (want) {
      try {
        session = this.services.runSession();
      } catch {
        session = undefined; // no valid config: nothing to watch
      }
    }
    // A new session (config changed) means a new monitor for the new node list.
    if (this.controller && (!session || session !== this.session)) await this.stop('no active runs remain');
    if (session && !this.controller) this.start(session);
  }

  private start(session: ClusterSession): void {
    const cluster = session.cluster;
    const clusterDir = session.opts.clusterDir;
    const monitor = new HealthMonitor({
      nodes: cluster.nodes,
      pool: this.services.connections(),
      ...(cluster.health ? { health: cluster.health } : {}),
      workDir: (n) => nodeWorkDir(cluster, n, clusterDir),
    });
    const instances = this.state.config.model?.instances;
    const controller = new FailoverController({ session, monitor, owner: 'VS Code', ...(instances ? { instances } : {}) });
    monitor.on('probe', (p) => this.onProbe(monitor, p));
    controller.on('event', (e) => this.onEvent(e));
    this.monitor = monitor;
    this.controller = controller;
    this.session = session;
    log().info(`failover: watching ${cluster.nodes.length} node(s) every ${monitor.intervalMs / 1000} s while runs are active`);
    controller.start().then(
      ({ reattached, active }) => log().info(`failover: reattached to ${reattached.length} of ${active.length} active run(s)`),
      (e: unknown) => log().warn(`failover: could not start: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  private async stop(why: string): Promise<void> {
    const c = this.controller;
    if (!c) return;
    this.controller = undefined;
    this.monitor = undefined;
    this.session = undefined;
    this.stopping = c.stop().then(
      () => log().info(`failover: stopped (${why}); the runs keep going`),
      (e: unknown) => log().warn(`failover: stop: ${e instanceof Error ? e.message : String(e)}`),
    );
    await this.stopping;
    this.stopping = undefined;
  }

  /** Liveness into the tree: down → unavailable; a failed probe that has not flipped it keeps the last answer. */
  private onProbe(monitor: HealthMonitor, p: ProbeEvent): void {
    if (monitor !== this.monitor) return;
    if (monitor.isDown(p.node)) {
      const prev = this.state.health.get(p.node);
      if (prev?.status !== 'unavailable' || prev.reason !== p.health.reason) this.state.setHealth({ ...p.health, status: 'unavailable' });
    } else if (p.ok) {
      this.state.setHealth(p.health);
    }
  }

  private onEvent(e: FailoverEvent): void {
    const who = e.instance_id ? `${e.instance_id}@${e.node}` : e.node;
    const line = e.event === 'lease_acquired' || e.event === 'lease_watching' ? `failover: ${e.reason}` : `failover: ${e.event} ${who}${e.to_node ? ` → ${e.to_node}` : ''}: ${e.reason}`;
    if (e.event === 'action_failed' || e.event === 'run_gave_up' || e.event === 'node_down') log().warn(line);
    else log().info(line);
    let message: string | undefined;
    if (e.event === 'lease_watching') {
      message = `ClusterLab: ${e.reason}.`;
    } else if (NOTIFY.has(e.event)) {
      message = notification(e);
    }
    if (!message) return;
    const show = e.event === 'node_down' || e.event === 'run_gave_up' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(message, 'Show Logs').then((pick) => {
      if (pick === 'Show Logs') log().show(true);
    });
  }

  dispose(): void {
    this.disposed = true;
    this.check.cancel();
    for (const s of this.subs) s.dispose();
    void this.stop('the extension is closing');
  }
}

function notification(e: FailoverEvent): string {
  switch (e.event) {
    case 'node_down':
      return `ClusterLab: node ${e.node} is unavailable (${e.reason}); its runs are marked lost.`;
    case 'run_restarted':
      return `ClusterLab: restarted ${e.instance_id ?? ''} on ${e.node} (restart ${e.restart_count ?? '?'}): ${e.reason}.`;
    case 'run_replaced':
      return `ClusterLab: moved ${e.instance_id ?? ''} from ${e.node} to ${e.to_node ?? '?'} (restart ${e.restart_count ?? '?'}): ${e.reason}.`;
    case 'run_gave_up':
      return `ClusterLab: gave up on ${e.instance_id ?? ''} on ${e.node}: ${e.reason}.`;
    default:
      return `ClusterLab: ${e.event} ${e.node}: ${e.reason}`;
  }
}
