// Repair for the heuristic: puts unplaced instances in by ejection chains. To insert u, pick a
// node where u could run once some movable instances leave (its anti-affine partners there, and
// enough others to free the slot, RAM and GPU memory it needs), move u in, and re-insert the
// ejected ones the same way, one level shallower. A bounded depth-first search with undo: every
// step is checked against the hard constraints, so the plan stays valid whatever happens, and a
// work budget (not time) keeps it deterministic.
import { EPS, feasible, type Model, type State } from './model';
import { mulberry32 } from '../random';

export interface RepairOptions {
  /** Ejection options the repair may try in total. */
  budget: number;
  /** Deepest ejection chain (levels of re-insertion). */
  maxDepth: number;
  /** Ejection options tried per level. */
  branch: number;
}

export const DEFAULT_REPAIR: RepairOptions = { budget: 2_000, maxDepth: 3, branch: 4 };

/** Order for placing: fewest possible nodes, GPU required, most anti-affinity, most RAM, id. */
export function constrainedOrder(model: Model, s: State, list: number[]): number[] {
  const feas = new Map<number, number>();
  for (const i of list) {
    let c = 0;
    for (let n = 0; n < model.nodes.length; n++) if (feasible(model, s, i, n)) c++;
    feas.set(i, c);
  }
  return list.slice().sort((a, b) => {
    return (
      feas.get(a)! - feas.get(b)! ||
      Number(model.inst[b]!.gpu_required) - Number(model.inst[a]!.gpu_required) ||
      model.anti[b]!.length - model.anti[a]!.length ||
      model.ram[b]! - model.ram[a]! ||
      model.gmem[b]! - model.gmem[a]! ||
      a - b
    );
  });
}

/**
 * Tries to place every unplaced instance of `free` by ejection chains. `place` picks the node for
 * an instance that fits somewhere directly (the search's best node), or returns -1.
 */
export function repairUnplaced(model: Model, s: State, free: number[], place: (i: number) => number, opts: RepairOptions = DEFAULT_REPAIR): void {
  const movable = new Uint8Array(model.inst.length);
  for (const i of free) movable[i]! = 1;
  const locked = new Uint8Array(model.inst.length);
  const journal: { i: number; from: number }[] = [];
  let budget = opts.budget;

  const move = (i: number, to: number): void => {
    journal.push({ i, from: s.at[i]! });
    if (s.at[i]! >= 0) s.unassign(i);
    if (to >= 0) s.assign(i, to);
  };
  const undo = (mark: number): void => {
    while (journal.length > mark) {
      const { i, from } = journal.pop()!;
      if (s.at[i]! >= 0) s.unassign(i);
      if (from >= 0) s.assign(i, from);
    }
  };

  /** Sets of instances to move off n so that u fits there, best first (at most a few). */
  const ejections = (u: number, n: number): number[][] => {
    if (!model.usable[n]! || (model.pin[u]! >= 0 && model.pin[u]! !== n)) return [];
    if (model.inst[u]!.gpu_required && !model.gpu[n]!) return [];
    if (model.gmem[u]! > 0 && model.gmem[u]! > model.gpuMem[n]! + EPS) return [];
    if (model.ram[u]! > model.ramCap[n]! + EPS || model.maxInst[n]! < 1) return [];
    const forced: number[] = [];
    const others: number[] = [];
    const antiU = model.anti[u]!;
    for (const j of s.members[n]!) {
      const free_ = movable[j]! === 1 && locked[j]! === 0;
      if (antiU.includes(j)) {
        if (!free_) return [];
        forced.push(j);
      } else if (free_) others.push(j);
    }
    let slotDef = s.cnt[n]! - forced.length + 1 - model.maxInst[n]!;
    let ramDef = s.ramUsed[n]! + model.ram[u]! - model.ramCap[n]!;
    let gmemDef = s.gmemUsed[n]! + model.gmem[u]! - model.gpuMem[n]!;
    for (const j of forced) {
      ramDef -= model.ram[j]!;
      gmemDef -= model.gmem[j]!;
    }
    const covered = (slots: number, ram: number, gmem: number) => slots <= 0 && ram <= EPS && gmem <= EPS;
    if (covered(slotDef, ramDef, gmemDef)) return forced.length ? [forced] : [];
    const out: number[][] = [];
    // One more instance that is enough on its own: the smallest ones first (easiest to re-place).
    const singles = others.filter((j) => covered(slotDef - 1, ramDef - model.ram[j]!, gmemDef - model.gmem[j]!)).sort((a, b) => model.ram[a]! - model.ram[b]! || model.gmem[a]! - model.gmem[b]! || a - b);
    for (const j of singles.slice(0, 2)) out.push([...forced, j]);
    if (out.length) return out;
    // Otherwise the biggest ones until the slot, RAM and GPU memory are covered.
    const big = others.slice().sort((a, b) => model.ram[b]! - model.ram[a]! || model.gmem[b]! - model.gmem[a]! || a - b);
    const take = [...forced];
    for (const j of big) {
      if (covered(slotDef, ramDef, gmemDef)) break;
      take.push(j);
      slotDef--;
      ramDef -= model.ram[j]!;
      gmemDef -= model.gmem[j]!;
    }
    return covered(slotDef, ramDef, gmemDef) ? [take] : [];
  };

  const insert = (u: number, depth: number): boolean => {
    const direct = place(u);
    if (direct >= 0) {
      move(u, direct);
      return true;
    }
    if (depth === 0 || budget <= 0) return false;
    const options: { n: number; e: number[]; ram: number }[] = [];
    for (let n = 0; n < model.nodes.length; n++) {
      for (const e of ejections(u, n)) {
        let ram = 0;
        for (const j of e) ram += model.ram[j]!;
        options.push({ n, e, ram });
      }
    }
    options.sort((a, b) => a.e.length - b.e.length || a.ram - b.ram || a.n - b.n);
    locked[u]! = 1;
    try {
      for (const opt of options.slice(0, opts.branch)) {
        if (budget-- <= 0) return false;
        const mark = journal.length;
        for (const j of opt.e) move(j, -1);
        if (!feasible(model, s, u, opt.n)) {
          undo(mark);
          continue;
        }
        move(u, opt.n);
        let ok = true;
        for (const j of constrainedOrder(model, s, opt.e)) {
          if (!insert(j, depth - 1)) {
            ok = false;
            break;
          }
        }
        if (ok) return true;
        undo(mark);
      }
      return false;
    } finally {
      locked[u]! = 0;
    }
  };

  // Iterative deepening per unplaced instance, most constrained first; repeat while it helps.
  let progress = true;
  while (progress && budget > 0) {
    progress = false;
    for (const u of constrainedOrder(model, s, free.filter((i) => s.at[i]! < 0))) {
      if (s.at[u]! >= 0) continue;
      for (let depth = 0; depth <= opts.maxDepth && budget > 0; depth++) {
        const mark = journal.length;
        if (insert(u, depth)) {
          progress = true;
          break;
        }
        undo(mark);
      }
    }
  }
}

/** Weights of the violation measure: RAM and GPU memory in GB, a missing slot, an anti-affine pair. */
const W_SLOT = 8;
const W_ANTI = 8;


/**
 * Last resort when ejection chains leave instances out: a tabu search that tolerates broken
 * capacities while it works. Every placeable instance is put on a node it may use on its own
 * (status, pin, GPU, size), then relocations and swaps of instances on overloaded nodes drive
 * the total violation (RAM and GPU memory over, slots over, anti-affine pairs together) to 0.
 * Returns the plan only if it reaches 0 and passes the full check, else undefined. The budget
 * counts move evaluations (by default about 1,000 per instance and node, within [50k, 3M]: plans
 * that exist are usually reached well inside it; where none exists it bounds the time spent);
 * the tenures come from fixed seeds, so the result is deterministic.
 */
export function overloadSearch(model: Model, start: State, free: number[], budget?: number): State | undefined {
  const M = model.nodes.length;
  const total = budget ?? Math.min(3_000_000, Math.max(50_000, 1000 * free.length * M));
  // Two tries, each with half the budget: from the given plan, then from scratch (the free
  // instances taken out, put back most constrained first) with other tabu tenures.
  const first = overloadTry(model, start.clone(), free, Math.floor(total / 2), 0x5eed);
  if (first) return first;
  const fresh = start.clone();
  for (const i of free) if (fresh.at[i]! >= 0) fresh.unassign(i);
  return overloadTry(model, fresh, free, Math.floor(total / 2), 0xc0ffee, constrainedOrder(model, fresh, free));
}

function overloadTry(model: Model, s: State, free: number[], budget: number, seed: number, order?: number[]): State | undefined {
  const M = model.nodes.length;
  const isFree = new Uint8Array(model.inst.length);
  for (const i of free) isFree[i]! = 1;
  const allowed = new Map<number, number[]>();
  const mask = new Uint8Array(model.inst.length * M);
  for (const i of free) {
    const list: number[] = [];
    for (let n = 0; n < M; n++) {
      if (!model.usable[n]! || (model.pin[i]! >= 0 && model.pin[i]! !== n)) continue;
      if (model.inst[i]!.gpu_required && !model.gpu[n]!) continue;
      if (model.gmem[i]! > 0 && model.gmem[i]! > model.gpuMem[n]! + EPS) continue;
      if (model.ram[i]! > model.ramCap[n]! + EPS || model.maxInst[n]! < 1) continue;
      // Anti-affine with something that cannot move off n: never allowed there.
      if (model.anti[i]!.some((j) => !isFree[j]! && s.at[j]! === n)) continue;
      list.push(n);
      mask[i * M + n]! = 1;
    }
    allowed.set(i, list);
  }
  const over = (x: number) => (x > EPS ? x : 0);
  const nodeViol = (n: number, dRam: number, dG: number, dC: number) => over(s.ramUsed[n]! + dRam - model.ramCap[n]!) + over(s.gmemUsed[n]! + dG - model.gpuMem[n]!) + W_SLOT * Math.max(0, s.cnt[n]! + dC - model.maxInst[n]!);
  const conflicts = (i: number, n: number) => {
    let c = 0;
    for (const j of model.anti[i]!) if (j !== i && s.at[j]! === n) c++;
    return c;
  };
  const movable = free.filter((i) => allowed.get(i)!.length > 0);
  // A plan with all of them needs at least their RAM and slots in total: skip the search if the
  // usable nodes do not have that much (it could only fail, after spending its whole budget).
  // The same for the GPU-required ones on the GPU nodes.
  let needRam = 0;
  let needGpuRam = 0;
  let needGpu = 0;
  for (const i of movable) {
    needRam += model.ram[i]!;
    if (model.inst[i]!.gpu_required) {
      needGpuRam += model.ram[i]!;
      needGpu++;
    }
  }
  let haveRam = 0;
  let haveSlots = 0;
  let haveGpuRam = 0;
  let haveGpuSlots = 0;
  for (let n = 0; n < M; n++) {
    if (!model.usable[n]!) continue;
    let fixedRam = 0;
    let fixedCnt = 0;
    for (const j of s.members[n]!) {
      if (isFree[j]!) continue;
      fixedRam += model.ram[j]!;
      fixedCnt++;
    }
    const r = Math.max(0, model.ramCap[n]! - fixedRam);
    const c = Math.max(0, model.maxInst[n]! - fixedCnt);
    haveRam += r;
    haveSlots += c;
    if (model.gpu[n]!) {
      haveGpuRam += r;
      haveGpuSlots += c;
    }
  }
  if (needRam > haveRam + EPS || movable.length > haveSlots || needGpuRam > haveGpuRam + EPS || needGpu > haveGpuSlots) return undefined;
  // Put in every placeable unplaced instance, where it breaks the least.
  for (const i of order ? order.filter((x) => allowed.get(x)!.length > 0) : movable) {
    if (s.at[i]! >= 0) continue;
    let best = -1;
    let bestV = Infinity;
    for (const n of allowed.get(i)!) {
      const v = nodeViol(n, model.ram[i]!, model.gmem[i]!, 1) - nodeViol(n, 0, 0, 0) + W_ANTI * conflicts(i, n);
      if (v < bestV - EPS) {
        bestV = v;
        best = n;
      }
    }
    s.assign(i, best);
  }
  let total = 0;
  for (let n = 0; n < M; n++) total += nodeViol(n, 0, 0, 0);
  for (const i of movable) total += (W_ANTI * conflicts(i, s.at[i]!)) / 2;
  const rand = mulberry32(seed);
  const tabu = new Int32Array(model.inst.length);
  let bestTotal = total;
  let lastGain = 0;
  for (let iter = 1; total > EPS && budget > 0; iter++) {
    // Stuck for a while: shake up, a few random instances to random allowed nodes.
    if (iter - lastGain > 150) {
      lastGain = iter;
      for (let k = 0; k < 3; k++) {
        const i = movable[Math.floor(rand() * movable.length)]!;
        const list = allowed.get(i)!;
        const to = list[Math.floor(rand() * list.length)]!;
        const from = s.at[i]!;
        if (to === from) continue;
        const d = nodeViol(from, -model.ram[i]!, -model.gmem[i]!, -1) - nodeViol(from, 0, 0, 0) + nodeViol(to, model.ram[i]!, model.gmem[i]!, 1) - nodeViol(to, 0, 0, 0) + W_ANTI * (conflicts(i, to) - conflicts(i, from));
        s.unassign(i);
        s.assign(i, to);
        total += d;
        budget -= movable.length;
      }
    }
    // Instances on nodes that break something.
    const bad: number[] = [];
    for (const i of movable) {
      const n = s.at[i]!;
      if (nodeViol(n, 0, 0, 0) > EPS || conflicts(i, n) > 0) bad.push(i);
    }
    let bestD = Infinity;
    let mv: { i: number; to: number; j: number } | undefined;
    // When every move is tabu, the best tabu move (the search must not stall).
    let anyD = Infinity;
    let anyMv: { i: number; to: number; j: number } | undefined;
    for (const i of bad) {
      const a = s.at[i]!;
      const baseA = nodeViol(a, 0, 0, 0);
      const confA = conflicts(i, a);
      const outA = nodeViol(a, -model.ram[i]!, -model.gmem[i]!, -1) - baseA;
      for (const b of allowed.get(i)!) {
        if (b === a) continue;
        budget--;
        const d = outA + nodeViol(b, model.ram[i]!, model.gmem[i]!, 1) - nodeViol(b, 0, 0, 0) + W_ANTI * (conflicts(i, b) - confA);
        const ok = tabu[i]! <= iter || total + d < bestTotal - EPS;
        if (ok && d < bestD - EPS) {
          bestD = d;
          mv = { i, to: b, j: -1 };
        }
        if (d < anyD - EPS) {
          anyD = d;
          anyMv = { i, to: b, j: -1 };
        }
      }
      for (const j of movable) {
        const b = s.at[j]!;
        if (b === a || b < 0) continue;
        if (!mask[i * M + b]! || !mask[j * M + a]!) continue;
        budget--;
        const dr = model.ram[j]! - model.ram[i]!;
        const dg = model.gmem[j]! - model.gmem[i]!;
        const pair = model.anti[i]!.includes(j) ? 2 : 0;
        const d = nodeViol(a, dr, dg, 0) - baseA + nodeViol(b, -dr, -dg, 0) - nodeViol(b, 0, 0, 0) + W_ANTI * (conflicts(i, b) + conflicts(j, a) - pair - confA - conflicts(j, b));
        const ok = (tabu[i]! <= iter && tabu[j]! <= iter) || total + d < bestTotal - EPS;
        if (ok && d < bestD - EPS) {
          bestD = d;
          mv = { i, to: b, j };
        }
        if (d < anyD - EPS) {
          anyD = d;
          anyMv = { i, to: b, j };
        }
      }
    }
    if (!mv) {
      if (!anyMv) break;
      mv = anyMv;
      bestD = anyD;
    }
    const a = s.at[mv.i]!;
    s.unassign(mv.i);
    if (mv.j >= 0) {
      s.unassign(mv.j);
      s.assign(mv.j, a);
      tabu[mv.j]! = iter + 3 + Math.floor(rand() * 6);
    }
    s.assign(mv.i, mv.to);
    tabu[mv.i]! = iter + 3 + Math.floor(rand() * 6);
    total += bestD;
    if (total < bestTotal - EPS) {
      bestTotal = total;
      lastGain = iter;
    }
  }
  if (total > EPS) return undefined;
  // Full check with the engine's own constraints before anything is trusted.
  for (const i of free) {
    const n = s.at[i]!;
    if (n < 0) continue;
    s.unassign(i);
    const ok = feasible(model, s, i, n);
    s.assign(i, n);
    if (!ok) return undefined;
  }
  return s;
}
