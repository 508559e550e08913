// The dashboard's session state on the host side (pure): the history over the session and what the
// webview was last sent, so that only deltas go over the wire. The panel host calls `snapshot` when
// the page says 'ready', `sample` on each sampling tick and `update` when the core reports a change.
import { HistoryRing, historyCapacity, instanceRows, nodeViews, type DashboardInputs } from './model';
import type { HostMessage, InstanceRow, NodeView, SampleMessage, SnapshotMessage, UpdateMessage } from './protocol';
import { MAX_INSTANCES, MAX_NODES, MAX_SAMPLING_SECONDS, MIN_SAMPLING_SECONDS } from './protocol';

export function clampSamplingSeconds(s: number): number {
  if (!Number.isFinite(s)) return 5;
  return Math.min(MAX_SAMPLING_SECONDS, Math.max(MIN_SAMPLING_SECONDS, Math.round(s)));
}

export class DashboardSession {
  private readonly history: HistoryRing;
  private lastNodesKey = '';
  private lastInstancesKey = '';
  private sampling: number;

  constructor(samplingSeconds: number) {
    this.sampling = clampSamplingSeconds(samplingSeconds);
    this.history = new HistoryRing(historyCapacity(this.sampling));
  }

  get samplingSeconds(): number {
    return this.sampling;
  }

  setSamplingSeconds(s: number): void {
    this.sampling = clampSamplingSeconds(s);
    this.history.resize(historyCapacity(this.sampling));
  }

  get historyLength(): number {
    return this.history.length;
  }

  snapshot(inputs: DashboardInputs, at: number): SnapshotMessage {
    const nodes = limitNodes(nodeViews(inputs));
    const instances = limitRows(instanceRows(inputs.runs));
    this.lastNodesKey = nodesKey(nodes);
    this.lastInstancesKey = JSON.stringify(instances);
    return {
      type: 'snapshot',
      data: { cluster: inputs.cluster.cluster.name.slice(0, 200), at, sampling_seconds: this.sampling, nodes, instances, history: this.history.toJSON() },
    };
  }

  /** Record a history point. Returns the message to send: a snapshot if the set of nodes changed. */
  sample(inputs: DashboardInputs, at: number): SampleMessage | SnapshotMessage {
    const nodes = limitNodes(nodeViews(inputs));
    this.history.push(at, nodes);
    return this.delta('sample', inputs, nodes, at) as SampleMessage | SnapshotMessage;
  }

  /** Current values between samples (not recorded in the history). */
  update(inputs: DashboardInputs, at: number): UpdateMessage | SnapshotMessage {
    return this.delta('update', inputs, limitNodes(nodeViews(inputs)), at) as UpdateMessage | SnapshotMessage;
  }

  private delta(type: 'sample' | 'update', inputs: DashboardInputs, nodes: NodeView[], at: number): HostMessage {
    if (nodesKey(nodes) !== this.lastNodesKey) return this.snapshot(inputs, at);
    const msg: SampleMessage | UpdateMessage = { type, at, nodes };
    const rows = limitRows(instanceRows(inputs.runs));
    const key = JSON.stringify(rows);
    if (key !== this.lastInstancesKey) {
      msg.instances = rows;
      this.lastInstancesKey = key;
    }
    return msg;
  }
}

const nodesKey = (nodes: readonly NodeView[]): string => JSON.stringify(nodes.map((n) => [n.name, n.type, n.gpu_capable]));
const limitNodes = (n: NodeView[]): NodeView[] => n.slice(0, MAX_NODES);
const limitRows = (r: InstanceRow[]): InstanceRow[] => r.slice(0, MAX_INSTANCES);
