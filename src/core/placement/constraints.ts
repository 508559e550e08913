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

/** Every hard constraint instance i breaks on node n in state s (i is treated as not on n). */
export function violations(model: Model, s: State, i: number, n: number): string[] {
  const out: string[] = [];
  const inst = model.inst[i]!;
  const here = s.at[i]! === n;
  const cnt = s.cnt[n]! - (here ? 1 : 0);
  const ramUsed = s.ramUsed[n]! - (here ? model.ram[i]! : 0);
  const gmemUsed = s.gmemUsed[n]! - (here ? model.gmem[i]! : 0);
  if (model.pin[i]! >= 0 && model.pin[i]! !== n) {
    out.push(i < model.existingCount ? `already running on ${model.nodes[model.pin[i]!]!.name}` : `pinned to ${model.nodes[model.pin[i]!]!.name} by --placement`);
  }
  const st = model.status[n]!;
  if (st === 'unavailable') out.push('node is unavailable');
  else if (st === 'maintenance') out.push('node is in maintenance');
  if (cnt + 1 > model.maxInst[n]!) {
    // Names only for small nodes: listing 100 ids helps nobody and costs time on big plans.
    const on = cnt <= 4 ? s.members[n]!.filter((j) => j !== i).sort((a, b) => a - b) : [];
    out.push(`full: ${cnt}/${model.maxInst[n]!} instances (max_instances)${on.length ? ` already placed: ${names(model, on)}` : ''}`);
  }
  if (ramUsed + model.ram[i]! > model.ramCap[n]! + EPS) {
    const free = Math.max(0, model.ramCap[n]! - ramUsed);
    out.push(`needs ${fmtGb(model.ram[i]!)}, ${fmtGb(free)} free after reserve (${fmtGb(model.ramTotal[n]!)} total, ${fmtGb(model.nodes[n]!.reserved_ram_gb ?? 0)} reserved${ramUsed > 0 ? `, ${fmtGb(ramUsed)} allocated` : ''})`);
  }
  if (inst.gpu_required && !model.gpu[n]!) out.push('needs a GPU (gpu_required), node has none');
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

/** The reason text for an impossible node, or undefined when the node is possible. */
export function reasonFor(model: Model, s: State, i: number, n: number): string | undefined {
  const v = violations(model, s, i, n);
  return v.length ? v.join('; ') : undefined;
}
