// The search. First a heuristic that always yields a valid plan (most-constrained-first greedy by
// marginal objective, a repair step that moves one blocking instance, then relocation local
// search), then, when the problem is small enough, an exact branch-and-bound seeded with that plan:
// most-constrained-first variable order, best-marginal value order, symmetry breaking on identical
// empty nodes, and an optimistic bound per tier (count placed, degraded, total score). Budgets are
// counted in work units, never in time, so the same input always gives the same plan.
import { DEGRADED_FACTOR, feasible, type Model, State } from './model';
import { constrainedOrder, overloadSearch, repairUnplaced } from './repair';
import { affinityAt, compareObjective, loadFactor, nodeTerms, objectiveOf, utilisationFactor, type Objective } from './score';

export interface SearchOptions {
  /** Work units (roughly: feasibility checks) the exact search may spend. */
  exactBudget?: number;
  /** Relocation evaluations the local search may spend. */
  localBudget?: number;
}

export interface SearchResult {
  state: State;
  objective: Objective;
  exact: boolean;
  /** Search nodes the exact search visited (0 when it did not run). */
  visited: number;
}

const DEFAULT_EXACT_BUDGET = 4_000_000;
const DEFAULT_LOCAL_BUDGET = 8_000;
/** Largest instances x nodes for which the exact search runs. */
export const EXACT_MAX_CELLS = 2_000;

/**
 * Objective change (placed, degraded, total) of moving i from its node to `to` (-1 = unplace),
 * computed from per-node aggregates in O(i's affinity partners): the node-wide terms of the two
 * nodes times their multiplier sums (State.fsum), i's own terms, and the affinity terms of the
 * instances that declared affinity with i.
 */
export function moveDelta(model: Model, s: State, i: number, to: number): Objective {
  const from = s.at[i]!;
  if (from === to) return { placed: 0, degraded: 0, total: 0 };
  const M = model.nodes.length;
  const counted = i >= model.existingCount;
  const fFrom = counted && from >= 0 ? model.factor[i * M + from]! : 0;
  const fTo = counted && to >= 0 ? model.factor[i * M + to]! : 0;
  let total = 0;
  if (from >= 0) {
    total -= nodeTerms(model, from, s.ramUsed[from]!, s.cnt[from]!) * s.fsum[from]!;
    if (s.cnt[from]! > 1) total += nodeTerms(model, from, s.ramUsed[from]! - model.ram[i]!, s.cnt[from]! - 1) * (s.fsum[from]! - fFrom);
    if (counted) total -= fFrom * (model.gpuTerm[i * M + from]! + model.prefTerm[i * M + from]! + affinityAt(model, s, i, from));
  }
  if (to >= 0) {
    if (s.cnt[to]! > 0) total -= nodeTerms(model, to, s.ramUsed[to]!, s.cnt[to]!) * s.fsum[to]!;
    total += nodeTerms(model, to, s.ramUsed[to]! + model.ram[i]!, s.cnt[to]! + 1) * (s.fsum[to]! + fTo);
    if (counted) total += fTo * (model.gpuTerm[i * M + to]! + model.prefTerm[i * M + to]! + affinityAt(model, s, i, to));
  }
  const w = model.weights.affinity;
  for (const j of model.affBy[i]!) {
    if (j < model.existingCount) continue;
    const n = s.at[j]!;
    if (n < 0 || (n !== from && n !== to)) continue;
    const unit = (w * model.factor[j * M + n]!) / model.aff[j]!.length;
    total += n === to ? unit : -unit;
  }
  if (!counted) return { placed: 0, degraded: 0, total };
  const placed = (to >= 0 ? 1 : 0) - (from >= 0 ? 1 : 0);
  const degraded = (to >= 0 && model.degraded[to]! ? 1 : 0) - (from >= 0 && model.degraded[from]! ? 1 : 0);
  return { placed, degraded, total };
}

/** Feasible nodes for i, best first: non-degraded, then best marginal objective, then node order. */
function rankedNodes(model: Model, s: State, i: number, symmetryBreak: number[] | undefined): number[] {
  const cand: { n: number; d: Objective }[] = [];
  const seenEmptyClass = new Set<number>();
  for (let n = 0; n < model.nodes.length; n++) {
    if (!feasible(model, s, i, n)) continue;
    if (symmetryBreak && s.cnt[n]! === 0 && symmetryBreak[n]! >= 0) {
      if (seenEmptyClass.has(symmetryBreak[n]!)) continue;
      seenEmptyClass.add(symmetryBreak[n]!);
    }
    cand.push({ n, d: moveDelta(model, s, i, n) });
  }
  cand.sort((a, b) => -compareObjective(a.d, b.d) || a.n - b.n);
  return cand.map((c) => c.n);
}

/** The best feasible node for i (as rankedNodes' first), or -1; allocation-free. */
export function bestNode(model: Model, s: State, i: number): number {
  let best: Objective | undefined;
  let bestN = -1;
  for (let n = 0; n < model.nodes.length; n++) {
    if (!feasible(model, s, i, n)) continue;
    const d = moveDelta(model, s, i, n);
    if (best === undefined || compareObjective(d, best) > 0) {
      best = d;
      bestN = n;
    }
  }
  return bestN;
}

function countFeasible(model: Model, s: State, i: number): number {
  let c = 0;
  for (let n = 0; n < model.nodes.length; n++) if (feasible(model, s, i, n)) c++;
  return c;
}

/**
 * Greedy, repair and local search. Never breaks a hard constraint: every move is checked.
 *  1. Greedy, most constrained first (fewest possible nodes, GPU required, most anti-affinity,
 *     most RAM), each instance to the node with the best change of the objective.
 *  2. If some are left out: short ejection chains (repair.ts); if some are still left out, a
 *     tabu search over plans that may break capacities, driven to a plan that breaks none
 *     (overloadSearch), kept only when it places more.
 *  3. Relocation local search on the score.
 */
export function heuristic(model: Model, base: State, free: number[], opts: SearchOptions = {}): State {
  let s = base.clone();
  const order = constrainedOrder(model, s, free);
  for (const i of order) {
    const n = bestNode(model, s, i);
    if (n >= 0) s.assign(i, n);
  }
  const unplaced = (st: State) => free.some((i) => st.at[i]! < 0);
  if (unplaced(s)) repairUnplaced(model, s, free, (i) => bestNode(model, s, i));
  if (unplaced(s)) {
    const o = overloadSearch(model, s, free);
    if (o && compareObjective(objectiveOf(model, o), objectiveOf(model, s)) > 0) s = o;
  }
  localSearch(model, s, free, opts.localBudget ?? DEFAULT_LOCAL_BUDGET);
  return s;
}

/** Best-improvement relocation per instance, repeated until nothing improves or budget is spent. */
function localSearch(model: Model, s: State, free: number[], budget: number): void {
  let improved = true;
  while (improved && budget > 0) {
    improved = false;
    for (const i of free) {
      if (budget <= 0) break;
      let best: Objective = { placed: 0, degraded: 0, total: 1e-7 };
      let bestN = -2;
      for (let n = 0; n < model.nodes.length; n++) {
        if (n === s.at[i]!) continue;
        const from = s.at[i]!;
        if (from >= 0) s.unassign(i);
        const ok = feasible(model, s, i, n);
        if (from >= 0) s.assign(i, from);
        if (!ok) continue;
        budget--;
        const d = moveDelta(model, s, i, n);
        if (compareObjective(d, best) > 0) {
          best = d;
          bestN = n;
        }
      }
      if (bestN >= -1) {
        s.unassign(i);
        s.assign(i, bestN);
        improved = true;
      }
    }
  }
}

/** Classes of interchangeable nodes (same config and status, named by no instance), -1 = unique. */
function symmetryClasses(model: Model): number[] {
  const named = new Set<string>();
  for (const i of model.inst) {
    if (i.preferred_node) named.add(i.preferred_node);
  }
  model.pin.forEach((n) => n >= 0 && named.add(model.nodes[n]!.name));
  for (let k = 0; k < model.inst.length; k++) {
    const m = model.nodes.length;
    for (let n = 0; n < m; n++) if (model.factor[k * m + n]! !== (model.degraded[n]! ? DEGRADED_FACTOR : 1)) named.add(model.nodes[n]!.name);
  }
  const keys = new Map<string, number>();
  return model.nodes.map((node, n) => {
    if (named.has(node.name)) return -1;
    const key = JSON.stringify([model.ramTotal[n]!, model.ramCap[n]!, model.maxInst[n]!, model.gpu[n]!, model.gpuMem[n]!, model.status[n]!, model.load[n]! ?? null]);
    let c = keys.get(key);
    if (c === undefined) {
      c = keys.size;
      keys.set(key, c);
    }
    return c;
  });
}

class Aborted extends Error {}

/** Exact branch-and-bound over `free`, starting from `incumbent`. Returns whether it completed. */
export function branchAndBound(model: Model, base: State, free: number[], incumbent: State, budget = DEFAULT_EXACT_BUDGET): { state: State; objective: Objective; complete: boolean; visited: number } {
  const s = base.clone();
  let best = incumbent.clone();
  let bestObj = objectiveOf(model, best);
  const N = model.inst.length;
  const M = model.nodes.length;
  const w = model.weights;
  const decided = new Uint8Array(N).fill(1);
  for (const i of free) decided[i]! = 0;
  const sym = symmetryClasses(model);
  let work = 0;
  let visited = 0;
  const undecided = free.slice();

  const reRange = (lo: number, hi: number): number => {
    if (lo <= 0.7 && hi >= 0.3) return 1;
    return hi < 0.3 ? utilisationFactor(hi) : utilisationFactor(lo);
  };

  const bound = (open: number[], feasCount: number[]): Objective => {
    let remainingRam = 0;
    for (const u of open) remainingRam += model.ram[u]!;
    let placed = 0;
    let degraded = 0;
    let total = 0;
    for (let i = model.existingCount; i < N; i++) {
      const n = s.at[i]!;
      if (n < 0) continue;
      placed++;
      if (model.degraded[n]!) degraded++;
      const hi = Math.min(s.ramUsed[n]! + remainingRam, model.ramCap[n]!) / model.ramTotal[n]!;
      const re = reRange(s.ramUsed[n]! / model.ramTotal[n]!, hi);
      const partners = model.aff[i]!;
      let aff = w.affinity;
      if (partners.length) {
        let lost = 0;
        for (const j of partners) if (decided[j]! && s.at[j]! !== n) lost++;
        aff = (w.affinity * (partners.length - lost)) / partners.length;
      }
      total += model.factor[i * M + n]! * (w.resource_efficiency * re + w.load_balancing * loadFactor(model, n, s.cnt[n]!) + model.gpuTerm[i * M + n]! + aff + model.prefTerm[i * M + n]!);
    }
    // Optimistic count: open instances with a feasible node, limited by free RAM and slots.
    const rams: number[] = [];
    open.forEach((u, k) => {
      if (feasCount[k]! > 0) rams.push(model.ram[u]!);
    });
    let freeRam = 0;
    let freeSlots = 0;
    for (let n = 0; n < M; n++) {
      if (!model.usable[n]!) continue;
      freeRam += Math.max(0, model.ramCap[n]! - s.ramUsed[n]!);
      freeSlots += Math.max(0, model.maxInst[n]! - s.cnt[n]!);
    }
    rams.sort((a, b) => a - b);
    let fit = 0;
    let acc = 0;
    for (const r of rams) {
      if (fit >= freeSlots || acc + r > freeRam + 1e-9) break;
      acc += r;
      fit++;
    }
    placed += fit;
    for (let k = 0; k < open.length; k++) {
      if (feasCount[k]! === 0) continue;
      const u = open[k]!;
      const partners = model.aff[u]!;
      let openPartners = 0;
      for (const j of partners) if (!decided[j]!) openPartners++;
      let bestU = 0;
      for (let n = 0; n < M; n++) {
        if (!feasible(model, s, u, n)) continue;
        const lo = (s.ramUsed[n]! + model.ram[u]!) / model.ramTotal[n]!;
        const hi = Math.max(lo, Math.min(s.ramUsed[n]! + remainingRam, model.ramCap[n]!) / model.ramTotal[n]!);
        let aff = w.affinity;
        if (partners.length) {
          let co = 0;
          for (const j of partners) if (s.at[j]! === n) co++;
          aff = (w.affinity * Math.min(partners.length, co + openPartners)) / partners.length;
        }
        const v = model.factor[u * M + n]! * (w.resource_efficiency * reRange(lo, hi) + w.load_balancing * loadFactor(model, n, s.cnt[n]! + 1) + model.gpuTerm[u * M + n]! + aff + model.prefTerm[u * M + n]!);
        if (v > bestU) bestU = v;
      }
      total += bestU;
    }
    work += open.length * M * 2;
    return { placed, degraded, total };
  };

  const recurse = (): void => {
    visited++;
    if (work > budget) throw new Aborted();
    // Open instances and how many nodes each can still take.
    const open: number[] = [];
    for (const u of undecided) if (!decided[u]!) open.push(u);
    const feasCount = open.map((u) => countFeasible(model, s, u));
    work += open.length * M;
    if (open.length === 0) {
      const obj = objectiveOf(model, s);
      if (compareObjective(obj, bestObj) > 0) {
        best = s.clone();
        bestObj = obj;
      }
      return;
    }
    const b = bound(open, feasCount);
    if (compareObjective(b, bestObj) <= 0) return;
    // Instances with no node left are unplaced for good (states only get tighter).
    const forced = open.filter((_, k) => feasCount[k]! === 0);
    if (forced.length) {
      for (const u of forced) decided[u]! = 1;
      try {
        recurse();
      } finally {
        for (const u of forced) decided[u]! = 0;
      }
      return;
    }
    let pick = -1;
    let pickC = Infinity;
    for (let k = 0; k < open.length; k++) {
      const u = open[k]!;
      const c = feasCount[k]!;
      if (c < pickC || (c === pickC && (model.ram[u]! > model.ram[pick]! || (model.ram[u]! === model.ram[pick]! && u < pick)))) {
        pick = u;
        pickC = c;
      }
    }
    const u = pick;
    decided[u]! = 1;
    try {
      for (const n of rankedNodes(model, s, u, sym)) {
        s.assign(u, n);
        try {
          recurse();
        } finally {
          s.unassign(u);
        }
      }
      recurse(); // u left unplaced
    } finally {
      decided[u]! = 0;
    }
  };

  let complete = true;
  try {
    recurse();
  } catch (e) {
    if (!(e instanceof Aborted)) throw e;
    complete = false;
  }
  return { state: best, objective: bestObj, complete, visited };
}

/** Heuristic first (always valid), then exact branch-and-bound when the budget allows. */
export function search(model: Model, base: State, free: number[], opts: SearchOptions = {}): SearchResult {
  const h = heuristic(model, base, free, opts);
  const hObj = objectiveOf(model, h);
  if (free.length === 0) return { state: h, objective: hObj, exact: true, visited: 0 };
  // Each search node costs about free x nodes work units: past EXACT_MAX_CELLS the exact search
  // could not get far within its budget, so the heuristic plan stands (exact: false).
  const budget = opts.exactBudget ?? DEFAULT_EXACT_BUDGET;
  if (free.length * model.nodes.length > EXACT_MAX_CELLS) return { state: h, objective: hObj, exact: false, visited: 0 };
  const r = branchAndBound(model, base, free, h, budget);
  return { state: r.state, objective: r.objective, exact: r.complete, visited: r.visited };
}
