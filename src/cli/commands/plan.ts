// clusterlab plan: places the instances of the given experiment files on the cluster's nodes and
// explains every choice. Exit 0 all placed, 1 some unplaced (with reasons), 2 usage/config error.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, UsageError, type CliCommand, type CliIO, type ParsedValues } from '../command';
import { hasErrors } from '../../core/config/diagnostics';
import { DEFAULT_WEIGHTS } from '../../core/config/schema';
import type { WorkspaceModel } from '../../core/config/validate';
import { ClusterLabError, describeError } from '../../core/errors';
import { explain, parseHealthInput, parsePlacementSpec, plan, type ExistingAllocation, type HealthInput, type PlacementInput } from '../../core/placement';
import type { SpecError } from '../../core/placement/spec';
import { loadWorkspace, printDiagnostics } from '../workspace';
import { RunStore } from '../../remote/runStore';
import { isTerminal } from '../../core/runs/stateMachine';

export function stringList(v: ParsedValues[string]): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

/** At most this many --placement problems are printed (a 10,000-entry spec must not flood the terminal). */
export const MAX_SPEC_ERRORS = 10;

/** Prints --placement problems, each with the spec (a window of it when long) and a caret. */
export function printSpecErrors(io: CliIO, name: string, spec: string, errors: readonly SpecError[]): void {
  for (const e of errors.slice(0, MAX_SPEC_ERRORS)) {
    const at = Math.max(0, e.column - 1);
    const from = spec.length > 100 ? Math.max(0, at - 40) : 0;
    const to = spec.length > 100 ? Math.min(spec.length, at + 60) : spec.length;
    const pre = from > 0 ? '…' : '';
    const shown = `${pre}${spec.slice(from, to)}${to < spec.length ? '…' : ''}`;
    const message = e.message.length > 300 ? `${e.message.slice(0, 299)}…` : e.message;
    io.err(`clusterlab ${name}: --placement column ${e.column}: ${message}\n  ${shown}\n  ${' '.repeat(pre.length + at - from)}^\n`);
  }
  if (errors.length > MAX_SPEC_ERRORS) io.err(`clusterlab ${name}: … and ${errors.length - MAX_SPEC_ERRORS} more problem(s) in --placement\n`);
}

export type Loaded = { ok: true; model: WorkspaceModel; rootDir: string; health?: HealthInput } | { ok: false; code: number };

/** Loads cluster, experiments and --health for plan and report; prints problems itself. */
export async function loadForPlacement(io: CliIO, values: ParsedValues, positionals: string[], name: string, defaultExperiments: boolean): Promise<Loaded> {
  const experiments = stringList(values.experiments);
  if (positionals.length > 0 && experiments.length === 0) throw new UsageError(`unexpected argument "${positionals[0]}"; experiment files go after --experiments`);
  experiments.push(...positionals);
  const cluster = typeof values.cluster === 'string' ? values.cluster : undefined;
  if (values.cluster !== undefined && !cluster) throw new UsageError('--cluster needs a file name');
  let ws;
  try {
    ws = await loadWorkspace(io, { cluster, experiments, defaultExperiments: defaultExperiments && experiments.length === 0 });
  } catch (e) {
    io.err(`clusterlab ${name}: ${describeError(e)}\n`);
    return { ok: false, code: EXIT_USAGE };
  }
  if (!ws.model || hasErrors(ws.diagnostics)) {
    printDiagnostics(io, ws.diagnostics);
    io.err(`clusterlab ${name}: fix the configuration errors above first (clusterlab validate shows them too)\n`);
    return { ok: false, code: EXIT_USAGE };
  }
  printDiagnostics(io, ws.diagnostics);
  let health: HealthInput | undefined;
  if (values.health !== undefined) {
    if (typeof values.health !== 'string' || values.health === '') throw new UsageError('--health needs a file name');
    let text: string;
    try {
      text = await readFile(resolve(io.cwd, values.health), 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      io.err(`clusterlab ${name}: cannot read health file ${values.health}: ${code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a folder, not a file' : code === 'EACCES' ? 'permission denied' : (code ?? describeError(e))}. Pass the output of "clusterlab health --json" saved to a file, or a map like {"rpi1":"unavailable"}.\n`);
      return { ok: false, code: EXIT_USAGE };
    }
    const h = parseHealthInput(text, values.health, ws.model.cluster.nodes.map((n) => n.name));
    if (!h.ok) {
      io.err(`clusterlab ${name}: ${h.error}\n`);
      return { ok: false, code: EXIT_USAGE };
    }
    for (const w of h.value.warnings) io.err(`warning: ${w}\n`);
    health = h.value;
  }
  return health ? { ok: true, model: ws.model, rootDir: ws.rootDir, health } : { ok: true, model: ws.model, rootDir: ws.rootDir };
}

/**
 * Instances already running in this workspace (the run store's live records), as allocations that
 * count and are never moved. Runs of the instances being planned are left out: those are placed
 * afresh rather than counted twice.
 */
export async function runningAllocations(rootDir: string, planned: readonly { instance_id: string }[]): Promise<ExistingAllocation[]> {
  const skip = new Set(planned.map((i) => i.instance_id));
  const records = await new RunStore(rootDir).list();
  return records.filter((r) => !isTerminal(r.status) && r.instance_config && !skip.has(r.instance_id)).map((r) => ({ instance: r.instance_config!, node: r.node }));
}

/** The engine input for a loaded workspace. `existing` are running instances (run store). */
export function placementInput(model: WorkspaceModel, health: HealthInput | undefined, pins: Record<string, string> | undefined, existing: ExistingAllocation[] = []): PlacementInput {
  const input: PlacementInput = {
    nodes: model.cluster.nodes,
    instances: model.instances,
    weights: model.cluster.placement?.weights ?? DEFAULT_WEIGHTS,
    existing,
  };
  if (health) {
    input.status = health.status;
    input.load = health.load;
  }
  if (pins) input.pins = pins;
  return input;
}

export const planCommand: CliCommand = {
  name: 'plan',
  summary: 'Place experiment instances on nodes and explain every choice',
  usage: ['plan [--cluster FILE] --experiments FILE... [--placement SPEC] [--health FILE] [--json]'],
  help: [
    'Options:',
    '  --experiments FILE...  experiment files (repeatable; files listed after it are taken too).',
    '                         Default: experiments/**/*.{yaml,yml,json} next to the cluster file.',
    '  --placement SPEC       manual pins "instance_id:node,instance_id2:node2"; the other',
    '                         instances are placed around them',
    '  --health FILE          node statuses: the output of "clusterlab health --json", or a map',
    '                         {"<node>":"healthy|degraded|unavailable|maintenance"}. Without it',
    '                         every node counts as healthy unless its config says maintenance.',
    '  --json                 print {"placements","unplaced","explanations","total_score","exact"}',
    '',
    'Every node is listed for every instance with its score (0-100: resource_efficiency 30,',
    'load_balancing 20, gpu_preference 15, affinity 25, preferred_node 10 by default, set by',
    'placement.weights in the cluster file) or the reason it is impossible.',
    'Exit status: 0 every instance placed, 1 some not placed (reasons printed), 2 usage or',
    'configuration error.',
  ].join('\n'),
  options: {
    experiments: { type: 'string', multiple: true, short: 'e' },
    placement: { type: 'string' },
    health: { type: 'string' },
    json: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(io: CliIO, values: ParsedValues, positionals: string[]): Promise<number> {
    const loaded = await loadForPlacement(io, values, positionals, 'plan', true);
    if (!loaded.ok) return loaded.code;
    const { model, health } = loaded;
    let pins: Record<string, string> | undefined;
    if (values.placement !== undefined) {
      const spec = typeof values.placement === 'string' ? values.placement : '';
      const r = parsePlacementSpec(spec, model.instances.map((i) => i.instance_id), model.cluster.nodes.map((n) => n.name));
      if (!r.ok) {
        printSpecErrors(io, 'plan', spec, r.errors);
        io.err('The format is "instance_id:node,instance_id2:node2" with ids from the experiment files and node names from the cluster file.\n');
        return EXIT_USAGE;
      }
      pins = r.pins;
    }
    // Instances already running here keep their share of their nodes (incremental placement).
    const existing = await runningAllocations(loaded.rootDir, model.instances);
    let result;
    try {
      result = plan(placementInput(model, health, pins, existing));
    } catch (e) {
      if (e instanceof ClusterLabError) {
        io.err(`clusterlab plan: ${e.message}\n`);
        return EXIT_USAGE;
      }
      throw e;
    }
    for (const pe of result.pin_errors ?? []) {
      for (const why of pe.reasons) io.err(`clusterlab plan: --placement ${pe.instance_id}:${pe.node} is impossible: ${why}\n`);
    }
    // Big plans (compact explanations) are printed without indentation: same JSON, a third of
    // the bytes, and a fraction of the time to write and to parse.
    if (values.json) io.out((result.explanation_detail === 'compact' ? JSON.stringify(result) : JSON.stringify(result, null, 2)) + '\n');
    else io.out(explain(result));
    return result.unplaced.length ? EXIT_PROBLEM : EXIT_OK;
  },
};
