// The placement problem in index form: nodes and instances as numbers, with everything that does
// not change during the search computed once (capacities, partners, static score terms).
import type { InstanceConfig, NodeConfig, PlacementWeights } from '../config/schema';
import type { NodeStatus } from '../health/types';
import { ClusterLabError } from '../errors';
import type { PlacementInput } from './types';

/** Score multiplier on a DEGRADED node (a last resort: see plan.ts for the tiered objective). */
export const DEGRADED_FACTOR = 0.5;
/** Score multiplier on a node the instance should avoid (e.g. the node it just failed on). */
export const AVOID_FACTOR = 0.5;

export interface Model {
  weights: PlacementWeights;
  nodes: NodeConfig[];
  nodeIndex: Map<string, number>;
  /** Per node: effective status, capacity after reserve, GPU memory (Infinity = not tracked). */
  status: NodeStatus[];
  usable: boolean[];
  degraded: boolean[];
  ramTotal: number[];
  ramCap: number[];
  maxInst: number[];
  gpu: boolean[];
  gpuMem: number[];
  load: (number | undefined)[];
  /** All instances: existing (fixed) first, then the ones to place. */
  inst: InstanceConfig[];
  instIndex: Map<string, number>;
  existingCount: number;
  ram: number[];
  gmem: number[];
  /** Symmetric anti-affinity partners (indices, deduplicated, no self). */
  anti: number[][];
  /**
   * Affinity as declared: aff[i] = the partners instance i names in its own `affinity` list
   * (deduplicated, no self, unknown ids dropped); affBy[j] = the instances that name j. Only the
   * declarer's score has an affinity term that depends on the plan (see score.ts).
   */
  aff: number[][];
  affBy: number[][];
  /** Pinned node per instance, or -1. */
  pin: number[];
  /** Static score part per (instance, node): gpu_preference + preferred_node, and the multiplier. */
  gpuTerm: Float64Array;
  prefTerm: Float64Array;
  factor: Float64Array;
}

/** Whether an instance wants a GPU: required, preferred, or asks for GPU memory. */
export function wantsGpu(i: InstanceConfig): boolean {
  return i.gpu_required || i.gpu_preferred || (i.gpu_memory_gb ?? 0) > 0;
}

export function effectiveStatus(node: NodeConfig, status: Record<string, NodeStatus> | undefined): NodeStatus {
  if (node.status === 'maintenance') return 'maintenance';
  return status?.[node.name] ?? 'healthy';
}

export function buildModel(input: PlacementInput): Model {
  const nodes = input.nodes;
  const nodeIndex = new Map<string, number>();
  nodes.forEach((n, k) => {
    if (nodeIndex.has(n.name)) throw new ClusterLabError('placement.duplicate-node', `node "${n.name}" is listed twice`, 'Give every node a unique name.', { kind: 'node', node: n.name });
    nodeIndex.set(n.name, k);
  });
  const existing = input.existing ?? [];
  const existingIds = new Set(existing.map((e) => e.instance.instance_id));
  const inst: InstanceConfig[] = [...existing.map((e) => e.instance), ...input.instances.filter((i) => !existingIds.has(i.instance_id))];
  const instIndex = new Map<string, number>();
  inst.forEach((i, k) => {
    if (instIndex.has(i.instance_id)) throw new ClusterLabError('placement.duplicate-instance', `instance id "${i.instance_id}" appears twice`, 'Give every instance a unique instance_id across the experiment files.');
    instIndex.set(i.instance_id, k);
  });
  const m = nodes.length;
  const status = nodes.map((n) => effectiveStatus(n, input.status));
  /** Partners named in `key`: both directions when symmetric, else only the declarer's own. */
  const partners = (key: 'anti_affinity' | 'affinity', symmetric: boolean, reverse = false): number[][] => {
    const sets = inst.map(() => new Set<number>());
    inst.forEach((i, k) => {
      for (const id of i[key] ?? []) {
        const j = instIndex.get(id);
        if (j === undefined || j === k) continue;
        if (symmetric || !reverse) sets[k]!.add(j);
        if (symmetric || reverse) sets[j]!.add(k);
      }
    });
    return sets.map((s) => [...s].sort((a, b) => a - b));
  };
  const pin = inst.map(() => -1);
  existing.forEach((e, k) => {
    const n = nodeIndex.get(e.node);
    if (n === undefined) throw new ClusterLabError('placement.unknown-node', `running instance "${e.instance.instance_id}" is on node "${e.node}", which is not in the cluster config`, 'Add the node back to the cluster file or stop the instance.');
    pin[k] = n;
  });
  for (const [id, nodeName] of Object.entries(input.pins ?? {})) {
    const k = instIndex.get(id);
    const n = nodeIndex.get(nodeName);
    if (k === undefined) throw new ClusterLabError('placement.unknown-instance', `--placement names instance "${id}", which is not in the experiment files`, 'Check the instance_id spelling.', { kind: 'cli' });
    if (n === undefined) throw new ClusterLabError('placement.unknown-node', `--placement names node "${nodeName}", which is not in the cluster config`, 'Use one of the node names from the cluster file.', { kind: 'cli' });
    if (k < existing.length) {
      if (pin[k] !== n) throw new ClusterLabError('placement.pin-running', `instance "${id}" is already running on ${existing[k]!.node} and cannot be pinned to ${nodeName}`, 'Stop it first, or drop it from --placement.', { kind: 'cli' });
      continue;
    }
    pin[k] = n;
  }
  const w = input.weights;
  const gpuTerm = new Float64Array(inst.length * m);
  const prefTerm = new Float64Array(inst.length * m);
  const factor = new Float64Array(inst.length * m);
  inst.forEach((i, k) => {
    const avoid = new Set(input.avoid?.[i.instance_id] ?? []);
    const wg = wantsGpu(i);
    for (let n = 0; n < m; n++) {
      const node = nodes[n]!;
      gpuTerm[k * m + n] = node.gpu === wg ? w.gpu_preference : 0;
      prefTerm[k * m + n] = i.preferred_node === undefined || i.preferred_node === node.name ? w.preferred_node : 0;
      let f = 1;
      if (status[n]! === 'degraded') f *= DEGRADED_FACTOR;
      if (avoid.has(node.name)) f *= AVOID_FACTOR;
      factor[k * m + n] = f;
    }
  });
  return {
    weights: w,
    nodes,
    nodeIndex,
    status,
    usable: status.map((s) => s === 'healthy' || s === 'degraded'),
    degraded: status.map((s) => s === 'degraded'),
    ramTotal: nodes.map((n) => n.ram_gb),
    ramCap: nodes.map((n) => n.ram_gb - (n.reserved_ram_gb ?? 0)),
    maxInst: nodes.map((n) => n.max_instances ?? 1),
    gpu: nodes.map((n) => n.gpu === true),
    gpuMem: nodes.map((n) => (n.gpu ? (n.gpu_memory_gb ?? Infinity) : 0)),
    load: nodes.map((n) => input.load?.[n.name]),
    inst,
    instIndex,
    existingCount: existing.length,
    ram: inst.map((i) => i.ram_gb),
    gmem: inst.map((i) => i.gpu_memory_gb ?? 0),
    anti: partners('anti_affinity', true),
    aff: partners('affinity', false),
    affBy: partners('affinity', false, true),
    pin,
    gpuTerm,
    prefTerm,
    factor,
  };
}

/** Mutable assignment state: where each instance is (-1 = not placed) and per-node totals. */
export class State {
  readonly at: Int32Array;
  readonly cnt: Int32Array;
  readonly ramUsed: Float64Array;
  readonly gmemUsed: Float64Array;
  /** Instances on each node (unordered). */
  readonly members: number[][];
  /**
   * Per node: the sum of the score multipliers (model.factor) of the instances on it that count
   * in the objective (not already running). The node-wide terms (resource_efficiency,
   * load_balancing) are the same for every instance on a node, so their part of the total score
   * is (those terms) x fsum: a move's change of objective is then computed in O(its partners).
   */
  readonly fsum: Float64Array;

  constructor(readonly model: Model) {
    this.at = new Int32Array(model.inst.length).fill(-1);
    this.cnt = new Int32Array(model.nodes.length);
    this.ramUsed = new Float64Array(model.nodes.length);
    this.gmemUsed = new Float64Array(model.nodes.length);
    this.members = model.nodes.map(() => []);
    this.fsum = new Float64Array(model.nodes.length);
  }

  clone(): State {
    const s = new State(this.model);
    s.at.set(this.at);
    s.cnt.set(this.cnt);
    s.ramUsed.set(this.ramUsed);
    s.gmemUsed.set(this.gmemUsed);
    s.fsum.set(this.fsum);
    this.members.forEach((l, n) => (s.members[n]! = l.slice()));
    return s;
  }

  copyFrom(o: State): void {
    this.at.set(o.at);
    this.cnt.set(o.cnt);
    this.ramUsed.set(o.ramUsed);
    this.gmemUsed.set(o.gmemUsed);
    this.fsum.set(o.fsum);
    o.members.forEach((l, n) => (this.members[n]! = l.slice()));
  }

  assign(i: number, n: number): void {
    this.at[i]! = n;
    this.cnt[n]!++;
    this.ramUsed[n]! += this.model.ram[i]!;
    this.gmemUsed[n]! += this.model.gmem[i]!;
    this.members[n]!.push(i);
    if (i >= this.model.existingCount) this.fsum[n]! += this.model.factor[i * this.model.nodes.length + n]!;
  }

  unassign(i: number): void {
    const n = this.at[i]!;
    if (n < 0) return;
    this.at[i]! = -1;
    this.cnt[n]!--;
    this.ramUsed[n]! -= this.model.ram[i]!;
    this.gmemUsed[n]! -= this.model.gmem[i]!;
    if (i >= this.model.existingCount) this.fsum[n]! -= this.model.factor[i * this.model.nodes.length + n]!;
    const l = this.members[n]!;
    const k = l.lastIndexOf(i);
    l[k]! = l[l.length - 1]!;
    l.pop();
    if (this.cnt[n]! === 0) {
      // Keep sums exact when a node empties, so float drift never accumulates.
      this.ramUsed[n]! = 0;
      this.gmemUsed[n]! = 0;
      this.fsum[n]! = 0;
    }
  }
}

/** Small tolerance so that 7.0 GB fits into 7 GB after floating-point sums. */
export const EPS = 1e-9;

/** Whether instance i can go on node n in state s (i itself must not be on n). Fast path. */
export function feasible(model: Model, s: State, i: number, n: number): boolean {
  if (!model.usable[n]!) return false;
  if (model.pin[i]! >= 0 && model.pin[i]! !== n) return false;
  if (s.cnt[n]! + 1 > model.maxInst[n]!) return false;
  if (s.ramUsed[n]! + model.ram[i]! > model.ramCap[n]! + EPS) return false;
  const inst = model.inst[i]!;
  if (inst.gpu_required && !model.gpu[n]!) return false;
  if (model.gmem[i]! > 0 && s.gmemUsed[n]! + model.gmem[i]! > model.gpuMem[n]! + EPS) return false;
  for (const j of model.anti[i]!) if (s.at[j]! === n) return false;
  return true;
}
