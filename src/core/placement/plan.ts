// plan(): pins first (each checked against the hard constraints), then the search for the rest,
// then the result with a score breakdown or a reason for every (instance, node) pair.
import type { InstanceConfig } from '../config/schema';
import { ClusterLabError } from '../errors';
import { ReasonCache, violations } from './constraints';
import { buildModel, feasible, State, type Model } from './model';
import { affinityAt, breakdownAt, nodeTerms, objectiveOf, type Objective } from './score';
import { search, type SearchOptions } from './search';
import { SCORE_TERMS, type InstanceExplanation, type NodeOption, type Placement, type PlacementInput, type PlanResult, type ScoreBreakdown, type Unplaced } from './types';

const round2 = (x: number): number => Math.round(x * 100) / 100;

function roundBreakdown(b: ScoreBreakdown): ScoreBreakdown {
  const out = {} as ScoreBreakdown;
  for (const t of SCORE_TERMS) out[t] = round2(b[t]);
  return out;
}

/** State with the running instances on their nodes (never checked, never moved). */
function baseState(model: Model): State {
  const s = new State(model);
  for (let k = 0; k < model.existingCount; k++) s.assign(k, model.pin[k]!);
  return s;
}

export interface PlanOptions extends SearchOptions {
  /** Build `explanations` (every instance x every node). Default true; unplaced reasons are always built. */
  explanations?: boolean;
  /**
   * Breakdowns for feasible alternatives: 'full' always, 'compact' never (score only), 'auto'
   * (default) full up to FULL_EXPLANATION_CELLS instances x nodes.
   */
  explanationDetail?: 'auto' | 'full' | 'compact';
}

export function plan(input: PlacementInput, opts: PlanOptions = {}): PlanResult {
  const model = buildModel(input);
  const base = baseState(model);
  const N = model.inst.length;
  const pinErrors: NonNullable<PlanResult['pin_errors']> = [];
  const pinned = new Set<number>();
  // Pins in the order of the experiment files; a pin that breaks a constraint (given the running
  // instances and the pins before it) leaves its instance unplaced, with the reason.
  for (let k = model.existingCount; k < N; k++) {
    const n = model.pin[k]!;
    if (n < 0) continue;
    pinned.add(k);
    const v = violations(model, base, k, n);
    if (v.length === 0) base.assign(k, n);
    else pinErrors.push({ instance_id: model.inst[k]!.instance_id, node: model.nodes[n]!.name, reasons: v });
  }
  const free: number[] = [];
  for (let k = model.existingCount; k < N; k++) if (model.pin[k]! < 0) free.push(k);
  const r = search(model, base, free, opts);
  const s = r.state;
  // Safety net: anything still placeable goes in (only adds placements, so it only improves).
  for (const i of free) {
    if (s.at[i]! >= 0) continue;
    for (let n = 0; n < model.nodes.length; n++) {
      if (feasible(model, s, i, n)) {
        s.assign(i, n);
        break;
      }
    }
  }
  return buildResult(model, s, pinned, pinErrors, r.exact, opts);
}

/**
 * Up to this many instances x nodes, every feasible alternative in `explanations` carries its
 * full breakdown; above it (1,000 x 100 is 100,000 options) feasible alternatives are compact,
 * `{node, feasible, score}`, so that building and printing the plan stays fast. The chosen node
 * always has its breakdown, and every impossible node its reason.
 */
export const FULL_EXPLANATION_CELLS = 20_000;

function buildResult(model: Model, s: State, pinned: Set<number>, pinErrors: NonNullable<PlanResult['pin_errors']>, exact: boolean, opts: PlanOptions): PlanResult {
  const withExplanations = opts.explanations ?? true;
  const M = model.nodes.length;
  const toPlace = model.inst.length - model.existingCount;
  const detail = opts.explanationDetail && opts.explanationDetail !== 'auto' ? opts.explanationDetail : toPlace * M <= FULL_EXPLANATION_CELLS ? 'full' : 'compact';
  const placements: Placement[] = [];
  const unplaced: Unplaced[] = [];
  const explanations: InstanceExplanation[] = [];
  const reasons = new ReasonCache(model, s);
  // Node-wide terms for "one more instance of r GB on n", shared by every instance of that size.
  const addTerms = model.nodes.map(() => new Map<number, number>());
  const termsIfAdded = (i: number, n: number): number => {
    const byRam = addTerms[n]!;
    let t = byRam.get(model.ram[i]!);
    if (t === undefined) {
      t = nodeTerms(model, n, s.ramUsed[n]! + model.ram[i]!, s.cnt[n]! + 1);
      byRam.set(model.ram[i]!, t);
    }
    return t;
  };
  let total = 0;
  for (let i = model.existingCount; i < model.inst.length; i++) {
    const id = model.inst[i]!.instance_id;
    const at = s.at[i]!;
    if (at >= 0) {
      const sc = breakdownAt(model, s, i, at);
      const p: Placement = { instance_id: id, node: model.nodes[at]!.name, score: round2(sc.score), breakdown: roundBreakdown(sc.breakdown) };
      if (pinned.has(i)) p.manual = true;
      if (sc.factor !== 1) p.penalty = round2(sc.raw - sc.score);
      placements.push(p);
      total += sc.score;
    }
    if (!withExplanations && at >= 0) continue;
    const options: NodeOption[] = [];
    const why: Record<string, string> = {};
    for (let n = 0; n < M; n++) {
      const name = model.nodes[n]!.name;
      const reason = n === at ? undefined : reasons.reason(i, n);
      if (reason !== undefined) {
        if (withExplanations) options.push({ node: name, feasible: false, reason });
        if (at < 0) why[name] = reason;
        continue;
      }
      let opt: NodeOption;
      if (detail === 'full' || n === at) {
        const sc = breakdownAt(model, s, i, n);
        opt = { node: name, feasible: true, score: round2(sc.score), breakdown: roundBreakdown(sc.breakdown) };
        if (sc.factor !== 1) opt.penalty = round2(sc.raw - sc.score);
      } else {
        const f = model.factor[i * M + n]!;
        const raw = termsIfAdded(i, n) + model.gpuTerm[i * M + n]! + model.prefTerm[i * M + n]! + affinityAt(model, s, i, n);
        opt = { node: name, feasible: true, score: round2(raw * f) };
        if (f !== 1) opt.penalty = round2(raw - raw * f);
      }
      if (withExplanations) options.push(opt);
      // Only reachable if the search stopped early; say so rather than leave a node out.
      if (at < 0) why[name] = `possible (score ${opt.score}) but not chosen: the search budget ran out`;
    }
    if (withExplanations) explanations.push({ instance_id: id, chosen: at >= 0 ? model.nodes[at]!.name : undefined, options });
    if (at < 0) unplaced.push({ instance_id: id, reasons: why });
  }
  const result: PlanResult = { placements, unplaced, explanations, total_score: round2(total), exact };
  if (withExplanations) result.explanation_detail = detail;
  if (pinErrors.length) result.pin_errors = pinErrors;
  return result;
}

/** An assignment: instance id -> node name (instances not listed are unplaced). */
export type Assignment = Record<string, string>;

function stateOf(model: Model, assignment: Assignment): State {
  const s = baseState(model);
  for (const [id, node] of Object.entries(assignment)) {
    const i = model.instIndex.get(id);
    const n = model.nodeIndex.get(node);
    if (i === undefined || n === undefined) throw new ClusterLabError('placement.unknown', `assignment names unknown instance "${id}" or node "${node}"`, 'Use ids and node names from the input.');
    if (i < model.existingCount) continue;
    s.assign(i, n);
  }
  return s;
}

/**
 * Evaluates any assignment with the engine's own constraints and objective (used by tests to
 * compare against brute force): the hard-constraint violations of every placed instance against
 * the final plan, and the objective (placed, degraded, total score).
 */
export function evaluateAssignment(input: PlacementInput, assignment: Assignment): { valid: boolean; violations: string[]; objective: Objective } {
  const model = buildModel(input);
  const s = stateOf(model, assignment);
  const out: string[] = [];
  for (let i = model.existingCount; i < model.inst.length; i++) {
    const n = s.at[i]!;
    if (n < 0) continue;
    for (const v of violations(model, s, i, n)) out.push(`${model.inst[i]!.instance_id} on ${model.nodes[n]!.name}: ${v}`);
  }
  return { valid: out.length === 0, violations: out, objective: objectiveOf(model, s) };
}

/** The hard constraints `instanceId` would break on `node`, given the rest of `assignment`. */
export function checkHardConstraints(input: PlacementInput, assignment: Assignment, instanceId: string, node: string): string[] {
  const { model, s, i, n } = withoutInstance(input, assignment, instanceId, node);
  return violations(model, s, i, n);
}

/** The plan `assignment` without `instanceId` (so it can be tried on `node`), and both indexes. */
function withoutInstance(input: PlacementInput, assignment: Assignment, instanceId: string, node: string) {
  const model = buildModel(input);
  const rest = { ...assignment };
  delete rest[instanceId];
  const s = stateOf(model, rest);
  const i = model.instIndex.get(instanceId);
  const n = model.nodeIndex.get(node);
  if (i === undefined) throw new ClusterLabError('placement.unknown-instance', `unknown instance "${instanceId}"`, 'Use an instance_id from the experiment files.');
  if (n === undefined) throw new ClusterLabError('placement.unknown-node', `unknown node "${node}"`, 'Use a node name from the cluster file.');
  if (i < model.existingCount) s.unassign(i);
  return { model, s, i, n };
}

/** Score of `instanceId` on `node`, with the rest of `assignment` as the final plan. */
export function scoreNode(input: PlacementInput, assignment: Assignment, instanceId: string, node: string): { score: number; breakdown: ScoreBreakdown } {
  const { model, s, i, n } = withoutInstance(input, assignment, instanceId, node);
  const sc = breakdownAt(model, s, i, n);
  return { score: sc.score, breakdown: sc.breakdown };
}

export type { InstanceConfig };
