// Scores from 0 to 100 (with the default weights 30/20/15/25/10), per term. docs/placement.md
// explains them for users; the rules, each evaluated on the final plan:
//   resource_efficiency  RAM utilisation of the node (allocated / ram_gb, as in the resource
//                        report) with everything placed: full points inside 30-70 %, falling
//                        linearly to 0 at 0 % and at 100 %.
//   load_balancing       measures the OTHER instances on the node: 1 - others / max_instances, so
//                        an instance alone on a node gets full points even when max_instances is
//                        1. When a measured load (load average per core) is known, the mean of
//                        that and 1 - load.
//   gpu_preference       GPU work (gpu_required, gpu_preferred or gpu_memory_gb) on a GPU node:
//                        full; CPU-only work on a node without GPU: full; CPU-only work on a GPU
//                        node: 0 (keeps the scarce GPU free); GPU work on a CPU node: 0.
//   affinity             scored for the instance that DECLARES it: weight x (share of its declared
//                        affinity partners on the same node). An instance that declares none gets
//                        full points (nothing to miss), whether or not others name it. A pair is
//                        therefore counted once, by its declarer; the partner is still drawn
//                        toward the declarer through the total-score objective (moving it away
//                        lowers the declarer's score), so affinity "counts both ways" and the
//                        order of the files or of placement does not matter.
//   preferred_node       full points on the preferred node, or when none is named; else 0.
// The sum is multiplied by 0.5 on a DEGRADED node and by 0.5 on a node the instance should avoid.
//
// Why affinity is not counted for both instances: counting "a lists b" in a's AND b's score makes
// one declaration worth twice its weight (50 of 100 points) and lets it outweigh the partner's own
// stated wishes. In the seed's panopticon scenario the observer (GPU required) names the subject;
// counted twice, the pair's 25 + 25 beat the subject's preferred_node (+10) and keeping CPU work
// off the GPU node (+15), and both landed on the jetson; counted once, the subject's own wishes
// keep it on rpi1 as the seed documents.
//
// The objective of a plan is, in order: most instances placed, fewest on DEGRADED nodes, highest
// total score (sum over the placed instances that are not already running; running instances are
// never moved, so their scores are not part of it). `objectiveOf` computes it for any assignment.
import { SCORE_TERMS, type ScoreBreakdown } from './types';
import type { Model, State } from './model';

export function utilisationFactor(u: number): number {
  if (u < 0.3) return Math.max(0, u / 0.3);
  if (u <= 0.7) return 1;
  return Math.max(0, (1 - u) / 0.3);
}

export function loadFactor(model: Model, n: number, count: number): number {
  const s = Math.max(0, 1 - (count - 1) / model.maxInst[n]!);
  const l = model.load[n]!;
  if (l === undefined || !Number.isFinite(l)) return s;
  return (s + (1 - Math.min(1, Math.max(0, l)))) / 2;
}

/** Node-wide score part per counted instance on n with `ram` GB and `cnt` instances on it. */
export function nodeTerms(model: Model, n: number, ram: number, cnt: number): number {
  return model.weights.resource_efficiency * utilisationFactor(ram / model.ramTotal[n]!) + model.weights.load_balancing * loadFactor(model, n, cnt);
}

/** Affinity term of instance j if it were on node n (its partners where s has them). */
export function affinityAt(model: Model, s: State, j: number, n: number): number {
  const partners = model.aff[j]!;
  if (!partners.length) return model.weights.affinity;
  let co = 0;
  for (const p of partners) if (s.at[p]! === n) co++;
  return (model.weights.affinity * co) / partners.length;
}

/** Breakdown of instance i on node n, as if i were on n with the rest of s unchanged. */
export function breakdownAt(model: Model, s: State, i: number, n: number): { breakdown: ScoreBreakdown; raw: number; factor: number; score: number } {
  const m = model.nodes.length;
  const w = model.weights;
  const here = s.at[i]! === n;
  const ram = s.ramUsed[n]! + (here ? 0 : model.ram[i]!);
  const cnt = s.cnt[n]! + (here ? 0 : 1);
  const partners = model.aff[i]!;
  let co = 0;
  for (const j of partners) if (s.at[j]! === n) co++;
  const breakdown: ScoreBreakdown = {
    resource_efficiency: w.resource_efficiency * utilisationFactor(ram / model.ramTotal[n]!),
    load_balancing: w.load_balancing * loadFactor(model, n, cnt),
    gpu_preference: model.gpuTerm[i * m + n]!,
    affinity: partners.length ? (w.affinity * co) / partners.length : w.affinity,
    preferred_node: model.prefTerm[i * m + n]!,
  };
  let raw = 0;
  for (const t of SCORE_TERMS) raw += breakdown[t];
  const factor = model.factor[i * m + n]!;
  return { breakdown, raw, factor, score: raw * factor };
}

/** Score of placed instance i in state s (fast path, no breakdown object). */
export function scoreOf(model: Model, s: State, i: number): number {
  const n = s.at[i]!;
  if (n < 0) return 0;
  const m = model.nodes.length;
  const w = model.weights;
  const partners = model.aff[i]!;
  let aff = w.affinity;
  if (partners.length) {
    let co = 0;
    for (const j of partners) if (s.at[j]! === n) co++;
    aff = (w.affinity * co) / partners.length;
  }
  const raw = w.resource_efficiency * utilisationFactor(s.ramUsed[n]! / model.ramTotal[n]!) + w.load_balancing * loadFactor(model, n, s.cnt[n]!) + model.gpuTerm[i * m + n]! + aff + model.prefTerm[i * m + n]!;
  return raw * model.factor[i * m + n]!;
}

export interface Objective {
  placed: number;
  degraded: number;
  total: number;
}

/** Objective of state s over the instances to place (existing ones are not counted). */
export function objectiveOf(model: Model, s: State): Objective {
  let placed = 0;
  let degraded = 0;
  let total = 0;
  for (let i = model.existingCount; i < model.inst.length; i++) {
    const n = s.at[i]!;
    if (n < 0) continue;
    placed++;
    if (model.degraded[n]!) degraded++;
    total += scoreOf(model, s, i);
  }
  return { placed, degraded, total };
}

/** Positive when a is better than b. Scores within 1e-7 count as equal. */
export function compareObjective(a: Objective, b: Objective): number {
  if (a.placed !== b.placed) return a.placed - b.placed;
  if (a.degraded !== b.degraded) return b.degraded - a.degraded;
  const d = a.total - b.total;
  return Math.abs(d) <= 1e-7 ? 0 : d;
}
