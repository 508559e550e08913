// plan(): pins first (each checked against the hard constraints), then the search for the rest,
// then the result with a score breakdown or a reason for every (instance, node) pair.
import type { InstanceConfig } from '../config/schema';
import { ClusterLabError } from '../errors';
import { violations } from './constraints';
import { buildModel, feasible, State, type Model } from './model';
import { breakdownAt, objectiveOf, type Objective } from './score';
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
  return buildResult(model, s, pinned, pinErrors, r.exact, opts.explanations ?? true);
}

function buildResult(model: Model, s: State, pinned: Set<number>, pinErrors: NonNullable<PlanResult['pin_errors']>, exact: boolean, withExplanations: boolean): PlanResult {
  const placements: Placement[] = [];
  const unplaced: Unplaced[] = [];
  const explanations: InstanceExplanation[] = [];
  let total = 0;
  for (let i = model.existingCount; i < model.inst.length; i++) {
    const id = model.inst[i]!.instance_id;
    const at = s.at[i]!;
    const options: NodeOption[] = [];
    const reasons: Record<string, string> = {};
    for (let n = 0; n < model.nodes.length; n++) {
      if (!withExplanations && at >= 0 && n !== at) continue;
      const name = model.nodes[n]!.name;
      const v = n === at ? [] : violations(model, s, i, n);
      if (v.length) {
        options.push({ node: name, feasible: false, reason: v.join('; ') });
        reasons[name] = v.join('; ');
        continue;
      }
      const sc = breakdownAt(model, s, i, n);
      const opt: NodeOption = { node: name, feasible: true, score: round2(sc.score), breakdown: roundBreakdown(sc.breakdown) };
      if (sc.factor !== 1) opt.penalty = round2(sc.raw - sc.score);
      options.push(opt);
      // Only reachable if the search stopped early; say so rather than leave a node out.
      if (at < 0) reasons[name] = `possible (score ${round2(sc.score)}) but not chosen: the search budget ran out`;
      if (n === at) {
        const p: Placement = { instance_id: id, node: name, score: round2(sc.score), breakdown: roundBreakdown(sc.breakdown) };
        if (pinned.has(i)) p.manual = true;
        if (sc.factor !== 1) p.penalty = round2(sc.raw - sc.score);
        placements.push(p);
        total += sc.score;
      }
    }
    if (withExplanations) explanations.push({ instance_id: id, chosen: at >= 0 ? model.nodes[at]!.name : undefined, options });
    if (at < 0) unplaced.push({ instance_id: id, reasons });
  }
  const result: PlanResult = { placements, unplaced, explanations, total_score: round2(total), exact };
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
  const model = buildModel(input);
  const rest = { ...assignment };
  delete rest[instanceId];
  const s = stateOf(model, rest);
  const i = model.instIndex.get(instanceId);
  const n = model.nodeIndex.get(node);
  if (i === undefined) throw new ClusterLabError('placement.unknown-instance', `unknown instance "${instanceId}"`, 'Use an instance_id from the experiment files.');
  if (n === undefined) throw new ClusterLabError('placement.unknown-node', `unknown node "${node}"`, 'Use a node name from the cluster file.');
  if (i < model.existingCount) s.unassign(i);
  return violations(model, s, i, n);
}

/** Score of `instanceId` on `node`, with the rest of `assignment` as the final plan. */
export function scoreNode(input: PlacementInput, assignment: Assignment, instanceId: string, node: string): { score: number; breakdown: ScoreBreakdown } {
  const model = buildModel(input);
  const rest = { ...assignment };
  delete rest[instanceId];
  const s = stateOf(model, rest);
  const i = model.instIndex.get(instanceId);
  const n = model.nodeIndex.get(node);
  if (i === undefined || n === undefined) throw new ClusterLabError('placement.unknown', `unknown instance "${instanceId}" or node "${node}"`, 'Use ids and node names from the input.');
  if (i < model.existingCount) s.unassign(i);
  const sc = breakdownAt(model, s, i, n);
  return { score: sc.score, breakdown: sc.breakdown };
}

export type { InstanceConfig };
