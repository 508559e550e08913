// Run Experiments: pick the experiment files, automatic or manual placement, then check health,
// place, deploy to the chosen nodes and start every instance detached, with cancellable progress
// per node. Each started instance gets its output channel, following its log.
import * as vscode from 'vscode';
import { plan } from '../../core/placement/plan';
import type { PlanResult } from '../../core/placement/types';
import type { InstanceConfig } from '../../core/config/schema';
import type { RunRecord } from '../../core/runs/types';
import { describeError } from '../../core/errors';
import { nodeWorkDir, deploySourceDir } from '../../core/runs/plan';
import { deployAll } from '../../remote/sync/deploy-all';
import type { ClusterState } from '../state/clusterState';
import type { RemoteServices } from '../remote/services';
import type { HealthChecker } from './health';
import type { InstanceChannels } from '../output/instanceChannels';
import { guarded, showError } from '../errors';
import { placementInput, showPlan } from './plan';
import { readSettings } from '../settings';
import { log } from '../log';

/** The instances of the experiment files the user picks (or the file passed in). */
export async function pickInstances(state: ClusterState, arg?: unknown): Promise<InstanceConfig[] | undefined> {
  const config = state.config;
  const model = config.model;
  if (!model) {
    const errors = config.diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    throw new Error(
      first ? `the experiment files have ${errors.length} error(s), first at ${vscode.workspace.asRelativePath(first.file)}:${first.range.start.line + 1}:${first.range.start.character + 1}: ${first.message}; fix them (Problems panel) and run again` : 'the configuration is not valid; fix the problems shown in the Problems panel',
    );
  }
  const files = [...new Set(Object.values(model.instanceSource))].sort();
  if (!files.length) throw new Error(`no experiment files found (setting clusterlab.experimentFiles = ${readSettings().experimentFiles}); add one with an instances: list`);
  let chosen: string[] | undefined;
  const given = arg instanceof vscode.Uri ? arg.fsPath : arg && typeof arg === 'object' && (arg as { kind?: unknown }).kind === 'experiment' ? String((arg as { file: unknown }).file) : typeof arg === 'string' ? arg : undefined;
  if (given) chosen = files.filter((f) => f === given || f.endsWith(`/${given}`) || vscode.workspace.asRelativePath(f) === given);
  if (!chosen?.length) {
    const items = files.map((f) => {
      const ids = model.instances.filter((i) => model.instanceSource[i.instance_id] === f).map((i) => i.instance_id);
      return { label: vscode.workspace.asRelativePath(f), description: `${ids.length} instance(s)`, detail: ids.join(', '), file: f };
    });
    const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Experiment files to run', canPickMany: true, matchOnDetail: true });
    if (!picked?.length) return undefined;
    chosen = picked.map((p) => p.file);
  }
  const set = new Set(chosen);
  return model.instances.filter((i) => set.has(model.instanceSource[i.instance_id] ?? ''));
}

/** Manual placement: one quick pick per instance, showing which nodes can take it. */
async function pickManualPins(state: ClusterState, instances: InstanceConfig[]): Promise<Record<string, string> | undefined> {
  const pins: Record<string, string> = {};
  const auto = plan(placementInput(state, instances));
  for (const inst of instances) {
    const expl = auto.explanations.find((e) => e.instance_id === inst.instance_id);
    const items = state.nodes().map((n) => {
      const o = expl?.options.find((x) => x.node === n.name);
      return {
        label: n.name,
        description: o?.feasible ? `score ${o.score?.toFixed(1) ?? '?'}${expl?.chosen === n.name ? ' · automatic choice' : ''}` : `$(error) ${o?.reason ?? 'not feasible'}`,
      };
    });
    const pick = await vscode.window.showQuickPick(items, { title: `Node for ${inst.instance_id} (${inst.ram_gb} GB${inst.gpu_required ? ', GPU' : ''})`, placeHolder: 'Pick a node' });
    if (!pick) return undefined;
    pins[inst.instance_id] = pick.label;
  }
  return pins;
}

/** Deploys to the nodes of a plan and starts its instances. Returns the started runs. */
export async function executePlan(state: ClusterState, services: RemoteServices, channels: InstanceChannels, instances: InstanceConfig[], result: PlanResult): Promise<RunRecord[]> {
  const { cluster, clusterDir } = services.requireCluster();
  const session = services.runSession();
  const pool = services.connections();
  if (result.unplaced.length) {
    const why = result.unplaced.map((u) => `${u.instance_id} (${Object.entries(u.reasons).map(([n, r]) => `${n}: ${r}`).join('; ') || 'no node can take it'})`).join(', ');
    const pick = await vscode.window.showErrorMessage(`ClusterLab: nothing was started: cannot place ${why}.`, 'Show Plan', 'Check Health');
    if (pick === 'Show Plan') await showPlan(result, 'Placement plan (not applied)');
    if (pick === 'Check Health') await vscode.commands.executeCommand('clusterlab.checkHealth');
    return [];
  }
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'ClusterLab', cancellable: true }, async (progress, token) => {
    const ac = new AbortController();
    token.onCancellationRequested(() => ac.abort());
    const nodes = [...new Set(result.placements.map((p) => p.node))];
    // Deploy.
    progress.report({ message: `deploying to ${nodes.join(', ')}…` });
    const { outcomes } = await deployAll(
      nodes.map((name) => {
        const node = session.node(name);
        return { node, remoteDir: nodeWorkDir(cluster, node, clusterDir) };
      }),
      pool,
      { sourceDir: deploySourceDir(cluster, clusterDir), exclude: cluster.deploy?.exclude ?? [], hostMode: cluster.deploy?.host_mode ?? 'in_place', concurrency: readSettings().concurrency, signal: ac.signal },
    );
    const failed = outcomes.filter((o) => o.status === 'failed');
    for (const o of outcomes) log().info(`deploy ${o.node}: ${o.status === 'failed' ? `failed: ${o.error}` : o.status === 'in_place' ? o.message : `${o.result.filesSent} file(s) sent`}`);
    if (failed.length) {
      await showError(`deploy failed on ${failed.map((f) => f.node).join(', ')}`, new Error(failed.map((f) => (f.status === 'failed' ? `node ${f.node}: ${f.error}` : '')).join('; ') + '. Nothing was started'), [
        { title: 'Retry', run: () => executePlan(state, services, channels, instances, result) },
      ]);
      return [];
    }
    if (token.isCancellationRequested) throw new vscode.CancellationError();
    // Start, per node in parallel, instances of a node one after another.
    const started: RunRecord[] = [];
    const errors: string[] = [];
    let done = 0;
    await Promise.all(
      nodes.map(async (node) => {
        for (const p of result.placements.filter((x) => x.node === node)) {
          if (token.isCancellationRequested) return;
          const inst = instances.find((i) => i.instance_id === p.instance_id);
          if (!inst) continue;
          progress.report({ message: `starting ${p.instance_id} on ${node}…` });
          try {
            const rec = await session.start(inst, p.node, { node: p.node, score: p.score, breakdown: { ...p.breakdown }, manual: p.manual === true });
            started.push(rec);
            state.upsertRun(rec);
            channels.ensure(rec);
          } catch (e) {
            errors.push(`${p.instance_id} on node ${node}: ${describeError(e)}`);
          }
          done++;
          progress.report({ increment: 100 / result.placements.length, message: `${done}/${result.placements.length} started` });
        }
      }),
    );
    if (errors.length) await showError(`${errors.length} instance(s) did not start`, new Error(errors.join('; ')));
    if (started.length) {
      const first = started[0] as RunRecord;
      void vscode.window.showInformationMessage(`ClusterLab: started ${started.map((r) => `${r.instance_id} on ${r.node}`).join(', ')}.`, 'Show Logs').then((pick) => {
        if (pick) channels.show(first, false);
      });
    }
    return started;
  });
}

export function registerRunCommands(context: vscode.ExtensionContext, state: ClusterState, services: RemoteServices, checker: HealthChecker, channels: InstanceChannels): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(
      'clusterlab.runExperiments',
      guarded('Run Experiments', async (arg?: unknown) => {
        services.requireTrust();
        services.requireCluster();
        const instances = await pickInstances(state, arg);
        if (!instances?.length) return;
        const running = instances.map((i) => state.runs().find((r) => r.instance_id === i.instance_id && ['starting', 'running', 'deploying'].includes(r.status))).filter((r): r is RunRecord => r !== undefined);
        if (running.length) {
          const pick = await vscode.window.showWarningMessage(`ClusterLab: ${running.map((r) => `${r.instance_id} is already ${r.status} on ${r.node}`).join('; ')}. Stop it first.`, 'Stop Them');
          if (pick) await vscode.commands.executeCommand('clusterlab.stopInstance', undefined, running.map((r) => ({ kind: 'run', runId: r.run_id })));
          return;
        }
        const mode = await vscode.window.showQuickPick(
          [
            { label: '$(sparkle) Automatic placement', description: 'score every node (resources, load, GPU, affinity, preference)', id: 'auto' },
            { label: '$(list-selection) Manual placement', description: 'pick a node for each instance', id: 'manual' },
          ],
          { placeHolder: `Place ${instances.length} instance(s)` },
        );
        if (!mode) return;
        await checker.checkWithProgress();
        const pins = mode.id === 'manual' ? await pickManualPins(state, instances) : undefined;
        if (mode.id === 'manual' && !pins) return;
        const result = plan(placementInput(state, instances, pins));
        await executePlan(state, services, channels, instances, result);
      }),
    ),
  );
}
