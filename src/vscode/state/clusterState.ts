// What the editor knows about the cluster right now: the config (from ConfigModel), the last
// health probe per node, which nodes are being probed, the run records, and the nodes the user
// put in maintenance (workspace state). Fires fine-grained change events so views re-render only
// what changed.
import * as vscode from 'vscode';
import type { NodeConfig } from '../../core/config/schema';
import type { NodeHealth } from '../../core/health/types';
import type { RunRecord } from '../../core/runs/types';
import type { ConfigModel } from './configModel';
import type { NodeDisplayStatus } from '../views/icons';

const MAINTENANCE_KEY = 'clusterlab.maintenance';

export interface ClusterChange {
  /** Nodes whose own display changed (status, health, instance count). */
  nodes: string[];
  /** Runs whose display changed (status, exit code), by run_id. */
  runs: string[];
  /** Nodes whose list of children changed (a run appeared, moved or went). */
  children: string[];
  /** Everything changed (config reloaded). */
  all: boolean;
}

export class ClusterState implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ClusterChange>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  readonly health = new Map<string, NodeHealth>();
  readonly probing = new Set<string>();
  /** Newest run record of each instance, by run_id. */
  private runsById = new Map<string, RunRecord>();
  private nodeNames: string[] = [];

  constructor(
    readonly config: ConfigModel,
    private readonly memento: vscode.Memento,
  ) {
    this.disposables.push(config.onDidChange(() => this.onConfig()));
    this.nodeNames = this.nodes().map((n) => n.name);
  }

  private onConfig(): void {
    const names = this.nodes().map((n) => n.name);
    const same = names.length === this.nodeNames.length && names.every((n, i) => n === this.nodeNames[i]);
    this.nodeNames = names;
    for (const h of [...this.health.keys()]) if (!names.includes(h)) this.health.delete(h);
    // The node list changed: the tree's root changes. Otherwise node settings (RAM, max) may have.
    this.emitter.fire({ nodes: names, runs: [], children: [], all: !same });
  }

  nodes(): NodeConfig[] {
    return this.config.cluster?.nodes ?? [];
  }

  node(name: string): NodeConfig | undefined {
    return this.nodes().find((n) => n.name === name);
  }

  // ---- maintenance ----------------------------------------------------------------------------

  /** Nodes the user put in maintenance from the editor (persisted per workspace). */
  manualMaintenance(): string[] {
    return this.memento.get<string[]>(MAINTENANCE_KEY, []);
  }

  async setMaintenance(node: string, on: boolean): Promise<void> {
    const set = new Set(this.manualMaintenance());
    if (on) set.add(node);
    else set.delete(node);
    await this.memento.update(MAINTENANCE_KEY, [...set].sort());
    this.emitter.fire({ nodes: [node], runs: [], children: [], all: false });
  }

  /** Maintenance from the config (`status: maintenance`) or set by the user. */
  maintenanceSource(name: string): 'config' | 'manual' | undefined {
    if (this.node(name)?.status === 'maintenance') return 'config';
    if (this.manualMaintenance().includes(name)) return 'manual';
    return undefined;
  }

  displayStatus(name: string): NodeDisplayStatus {
    if (this.maintenanceSource(name)) return 'maintenance';
    if (this.probing.has(name)) return 'probing';
    return this.health.get(name)?.status ?? 'unknown';
  }

  // ---- health ---------------------------------------------------------------------------------

  setProbing(names: string[], on: boolean): void {
    for (const n of names) {
      if (on) this.probing.add(n);
      else this.probing.delete(n);
    }
    this.emitter.fire({ nodes: names, runs: [], children: [], all: false });
  }

  setHealth(h: NodeHealth): void {
    this.health.set(h.name, h);
    this.probing.delete(h.name);
    this.emitter.fire({ nodes: [h.name], runs: [], children: [], all: false });
  }

  // ---- runs -----------------------------------------------------------------------------------

  runs(): RunRecord[] {
    return [...this.runsById.values()];
  }

  run(runId: string): RunRecord | undefined {
    return this.runsById.get(runId);
  }

  runsOnNode(node: string): RunRecord[] {
    return this.runs()
      .filter((r) => r.node === node)
      .sort((a, b) => a.instance_id.localeCompare(b.instance_id));
  }

  /** Instances that hold a slot on a node (what max_instances counts). */
  activeOnNode(node: string): RunRecord[] {
    return this.runsOnNode(node).filter((r) => ['planned', 'deploying', 'starting', 'running'].includes(r.status));
  }

  /**
   * Replaces the run records with `all` (every record; the newest per instance is kept) and fires
   * only what changed.
   */
  setRuns(all: RunRecord[]): void {
    const latest = new Map<string, RunRecord>();
    for (const r of all) {
      const prev = latest.get(r.instance_id);
      if (!prev || startedAt(r) >= startedAt(prev)) latest.set(r.instance_id, r);
    }
    const next = new Map<string, RunRecord>();
    for (const r of latest.values()) next.set(r.run_id, r);
    const change: ClusterChange = { nodes: [], runs: [], children: [], all: false };
    const touch = (arr: string[], v: string) => {
      if (!arr.includes(v)) arr.push(v);
    };
    for (const [id, r] of next) {
      const old = this.runsById.get(id);
      if (!old) {
        touch(change.children, r.node);
        touch(change.nodes, r.node);
      } else if (old.node !== r.node) {
        touch(change.children, old.node);
        touch(change.children, r.node);
        touch(change.nodes, old.node);
        touch(change.nodes, r.node);
      } else if (old.status !== r.status || old.exit_code !== r.exit_code || old.started_at !== r.started_at || old.ended_at !== r.ended_at) {
        touch(change.runs, id);
        touch(change.nodes, r.node);
      }
    }
    for (const [id, old] of this.runsById) {
      if (!next.has(id)) {
        touch(change.children, old.node);
        touch(change.nodes, old.node);
      }
    }
    this.runsById = next;
    if (change.nodes.length || change.runs.length || change.children.length) this.emitter.fire(change);
  }

  /** Updates one record (e.g. from a session event). */
  upsertRun(r: RunRecord): void {
    const others = this.runs().filter((x) => x.instance_id !== r.instance_id);
    this.setRuns([...others, r]);
  }

  /** A short summary for the status bar. */
  summary(): { nodes: number; up: number; running: number; problems: string[] } {
    const nodes = this.nodes();
    let up = 0;
    const problems: string[] = [];
    for (const n of nodes) {
      const s = this.displayStatus(n.name);
      if (s === 'healthy' || s === 'degraded') up++;
      if (s === 'unavailable') problems.push(`${n.name} is unavailable${this.health.get(n.name)?.reason ? `: ${this.health.get(n.name)?.reason}` : ''}`);
      if (s === 'degraded') problems.push(`${n.name} is degraded${this.health.get(n.name)?.reason ? `: ${this.health.get(n.name)?.reason}` : ''}`);
    }
    const running = this.runs().filter((r) => r.status === 'running' || r.status === 'starting').length;
    for (const r of this.runs()) if (r.status === 'crashed' || r.status === 'lost' || r.status === 'failed') problems.push(`${r.instance_id} on ${r.node} ${r.status}`);
    return { nodes: nodes.length, up, running, problems };
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function startedAt(r: RunRecord): string {
  return r.started_at ?? r.transitions[0]?.at ?? '';
}
