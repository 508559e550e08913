// Hard constraints with reasons a person can read, e.g. "needs 12 GB, 7 GB free after reserve".
// A node is impossible for an instance when any of these holds:
//   - the node is UNAVAILABLE or in MAINTENANCE (health file, or `status: maintenance` in config)
//   - it already holds max_instances instances
//   - RAM: placed ram_gb + this instance's would exceed ram_gb - reserved_ram_gb
//   - gpu_required and the node has no GPU
//   - gpu_memory_gb exceeds the node's unallocated GPU memory. A node with `gpu: false` has none;
//     a GPU node that does not declare gpu_memory_gb is treated as having untracked (unlimited)
//     GPU memory, so only its RAM limits what it takes.
//   - anti-affinity (symmetric) with an instance already on that node
//   - the instance is pinned (--placement) to another node
import { EPS, type Model, type State } from './model';

export function fmtGb(x: number): string {
  const r = Math.round(x * 100) / 100;
  return `${Object.is(r, -0) ? 0 : r} GB`;
}

function names(model: Model, idx: number[]): string {
  const ids = idx.map((j) => model.inst[j]!.instance_id);
  return ids.length > 4 ? `${ids.slice(0, 4).join(', ')} and ${ids.length - 4} more` : ids.join(', ');
}

/** "full: ..." text for node n holding `cnt` instances other than i. */
function fullText(model: Model, s: State, i: number, n: number, cnt: number): string {
  // Names only for small nodes: listing 100 ids helps nobody and costs time on big plans.
  const on = cnt <= 4 ? s.members[n]!.filter((j) => j !== i).sort((a, b) => a - b) : [];
  return `full: ${cnt}/${model.maxInst[n]!} instances (max_instances)${on.length ? ` already placed: ${names(model, on)}` : ''}`;
}

function ramText(model: Model, i: number, n: number, ramUsed: number): string {
  const free = Math.max(0, model.ramCap[n]! - ramUsed);
  return `needs ${fmtGb(model.ram[i]!)}, ${fmtGb(free)} free after reserve (${fmtGb(model.ramTotal[n]!)} total, ${fmtGb(model.nodes[n]!.reserved_ram_gb ?? 0)} reserved${ramUsed > 0 ? `, ${fmtGb(ramUsed)} allocated` : ''})`;
}

function pinText(model: Model, i: number): string {
  return i < model.existingCount ? `already running on ${model.nodes[model.pin[i]!]!.name}` : `pinned to ${model.nodes[model.pin[i]!]!.name} by --placement`;
}

const GPU_REQUIRED_TEXT = 'needs a GPU (gpu_required), node has none';

/** Every hard constraint instance i breaks on node n in state s (i is treated as not on n). */
export function violations(model: Model, s: State, i: number, n: number): string[] {
  const out: string[] = [];
  const inst = model.inst[i]!;
  const here = s.at[i]! === n;
  const cnt = s.cnt[n]! - (here ? 1 : 0);
  const ramUsed = s.ramUsed[n]! - (here ? model.ram[i]! : 0);
  const gmemUsed = s.gmemUsed[n]! - (here ? model.gmem[i]! : 0);
  if (model.pin[i]! >= 0 && model.pin[i]! !== n) out.push(pinText(model, i));
  const st = model.status[n]!;
  if (st === 'unavailable') out.push('node is unavailable');
  else if (st === 'maintenance') out.push('node is in maintenance');
  if (cnt + 1 > model.maxInst[n]!) out.push(fullText(model, s, i, n, cnt));
  if (ramUsed + model.ram[i]! > model.ramCap[n]! + EPS) out.push(ramText(model, i, n, ramUsed));
  if (inst.gpu_required && !model.gpu[n]!) out.push(GPU_REQUIRED_TEXT);
  if (model.gmem[i]! > 0) {
    if (!model.gpu[n]!) {
      if (!inst.gpu_required) out.push(`needs ${fmtGb(model.gmem[i]!)} GPU memory, node has no GPU`);
    } else if (gmemUsed + model.gmem[i]! > model.gpuMem[n]! + EPS) {
      out.push(`needs ${fmtGb(model.gmem[i]!)} GPU memory, ${fmtGb(Math.max(0, model.gpuMem[n]! - gmemUsed))} unallocated`);
    }
  }
  const clash = model.anti[i]!.filter((j) => s.at[j]! === n);
  if (clash.length) out.push(`anti-affinity with ${names(model, clash)}, already placed there`);
  return out;
}

/**
 * Reasons for a final plan, built fast for big explanations: the same text as violations(), but
 * the parts that depend only on the node (status, full) or on the node and the instance's RAM are
 * built once and shared. Only for instances that are not on the node asked about, and only while
 * the plan does not change. Returns undefined when the node is possible.
 */
export class ReasonCache {
  private readonly full: (string | undefined)[];
  private readonly ram: Map<number, string>[];

  constructor(
    private readonly model: Model,
    private readonly s: State,
  ) {
    this.full = model.nodes.map(() => undefined);
    this.ram = model.nodes.map(() => new Map());
  }

  reason(i: number, n: number): string | undefined {
    const { model, s } = this;
    if (s.at[i]! === n) return reasonFor(model, s, i, n);
    const inst = model.inst[i]!;
    const pinOk = model.pin[i]! < 0 || model.pin[i]! === n;
    const fullNow = s.cnt[n]! + 1 > model.maxInst[n]!;
    const ramNow = s.ramUsed[n]! + model.ram[i]! > model.ramCap[n]! + EPS;
    const gpuNow = inst.gpu_required && !model.gpu[n]!;
    const shared = pinOk && model.gmem[i]! === 0;
    if (shared && model.usable[n]! && !fullNow && !ramNow && !gpuNow && model.anti[i]!.length === 0) return undefined;
    // Node status, full, RAM and GPU depend only on the node and on (ram_gb, gpu_required): built
    // once per node and kind of instance. Pins, GPU memory and anti-affinity are per instance.
    let base: string;
    if (shared) {
      const key = model.ram[i]! * 2 + (inst.gpu_required ? 1 : 0);
      const byKey = this.ram[n]!;
      let t = byKey.get(key);
      if (t === undefined) {
        t = this.nodePart(i, n, fullNow, ramNow, gpuNow);
        byKey.set(key, t);
      }
      base = t;
    } else {
      const pin = pinOk ? '' : pinText(model, i);
      const node = this.nodePart(i, n, fullNow, ramNow, gpuNow);
      const gm = this.gmemPart(i, n);
      base = [pin, node, gm].filter((x) => x !== '').join('; ');
    }
    let clash = '';
    if (model.anti[i]!.length) {
      const on = model.anti[i]!.filter((j) => s.at[j]! === n);
      if (on.length) clash = `anti-affinity with ${names(model, on)}, already placed there`;
    }
    const out = base && clash ? `${base}; ${clash}` : base || clash;
    return out === '' ? undefined : out;
  }

  private nodePart(i: number, n: number, fullNow: boolean, ramNow: boolean, gpuNow: boolean): string {
    const { model, s } = this;
    const parts: string[] = [];
    const st = model.status[n]!;
    if (st === 'unavailable') parts.push('node is unavailable');
    else if (st === 'maintenance') parts.push('node is in maintenance');
    if (fullNow) parts.push((this.full[n] ??= fullText(model, s, i, n, s.cnt[n]!)));
    if (ramNow) parts.push(ramText(model, i, n, s.ramUsed[n]!));
    if (gpuNow) parts.push(GPU_REQUIRED_TEXT);
    return parts.join('; ');
  }

  private gmemPart(i: number, n: number): string {
    const { model, s } = this;
    const inst = model.inst[i]!;
    if (model.gmem[i]! <= 0) return '';
    if (!model.gpu[n]!) return inst.gpu_required ? '' : `needs ${fmtGb(model.gmem[i]!)} GPU memory, node has no GPU`;
    if (s.gmemUsed[n]! + model.gmem[i]! > model.gpuMem[n]! + EPS) return `needs ${fmtGb(model.gmem[i]!)} GPU memory, ${fmtGb(Math.max(0, model.gpuMem[n]! - s.gmemUsed[n]!))} unallocated`;
    return '';
  }
}

/** The reason text for an impossible node, or undefined when the node is possible. */
export function reasonFor(model: Model, s: State, i: number, n: number): string | undefined {
  const v = violations(model, s, i, n);
  return v.length ? v.join('; ') : undefined;
}
