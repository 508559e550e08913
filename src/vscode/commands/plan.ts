// Plan Placement: score every node for every instance, show the choice with its score breakdown
// and why the other nodes lost (a Markdown preview), then Apply (deploy + start) or Cancel.
import * as vscode from 'vscode';
import { plan } from '../../core/placement/plan';
import { SCORE_TERMS, type PlacementInput, type PlanResult } from '../../core/placement/types';
import { DEFAULT_WEIGHTS, type InstanceConfig } from '../../core/config/schema';
import type { NodeStatus } from '../../core/health/types';
import { isTerminal } from '../../core/runs/stateMachine';
import type { ClusterState } from '../state/clusterState';
import type { RemoteServices } from '../remote/services';
import type { HealthChecker } from './health';
import { guarded } from '../errors';
import { executePlan, pickInstances } from './run';
import type { InstanceChannels } from '../output/instanceChannels';

/** The placement input from what the editor knows: health, load, maintenance, live runs. */
export function placementInput(state: ClusterState, instances: InstanceConfig[], pins?: Record<string, string>): PlacementInput {
  const cluster = state.config.cluster;
  if (!cluster) throw new Error('no valid cluster config');
  const status: Record<string, NodeStatus> = {};
  const load: Record<string, number> = {};
  for (const n of cluster.nodes) {
    const h = state.health.get(n.name);
    if (h) status[n.name] = h.status;
    if (h?.load_1m !== undefined && h.cpu_count) load[n.name] = h.load_1m / h.cpu_count;
    if (state.maintenanceSource(n.name)) status[n.name] = 'maintenance';
  }
  const ids = new Set(instances.map((i) => i.instance_id));
  const existing = state
    .runs()
    .filter((r) => !isTerminal(r.status) && r.status !== 'lost' && !ids.has(r.instance_id))
    .flatMap((r) => (r.instance_config ? [{ instance: r.instance_config, node: r.node }] : []));
  return { nodes: cluster.nodes, instances, weights: cluster.placement?.weights ?? DEFAULT_WEIGHTS, status, load, existing, ...(pins ? { pins } : {}) };
}

const TERM_LABEL: Record<string, string> = {
  resource_efficiency: 'resources',
  load_balancing: 'load',
  gpu_preference: 'GPU',
  affinity: 'affinity',
  preferred_node: 'preferred',
};

/** The plan as Markdown: per instance, the chosen node, the breakdown, and why others lost. */
export function planMarkdown(result: PlanResult, title: string): string {
  const out: string[] = [`# ${title}`, ''];
  out.push(`Total score **${result.total_score.toFixed(1)}**${result.exact ? ' (optimal: exhaustive search)' : ' (heuristic search)'} · ${result.placements.length} placed · ${result.unplaced.length} not placed`, '');
  out.push('| Instance | Node | Score | ' + SCORE_TERMS.map((t) => TERM_LABEL[t]).join(' | ') + ' |');
  out.push('|---|---|---:|' + SCORE_TERMS.map(() => '---:').join('|') + '|');
  for (const p of result.placements) {
    out.push(`| \`${p.instance_id}\` | **${p.node}**${p.manual ? ' (manual)' : ''} | ${p.score.toFixed(1)} | ${SCORE_TERMS.map((t) => p.breakdown[t].toFixed(1)).join(' | ')} |`);
  }
  out.push('');
  for (const e of result.explanations) {
    out.push(`## ${e.instance_id} → ${e.chosen ?? 'not placed'}`, '');
    for (const o of [...e.options].sort((a, b) => Number(b.feasible) - Number(a.feasible) || (b.score ?? 0) - (a.score ?? 0))) {
      const mark = o.node === e.chosen ? 'chosen:' : o.feasible ? 'lost:' : 'excluded:';
      const why = o.feasible ? `score ${o.score?.toFixed(1) ?? '?'}${o.breakdown ? ` (${SCORE_TERMS.map((t) => `${TERM_LABEL[t]} ${o.breakdown?.[t].toFixed(1)}`).join(', ')})` : ''}${o.node !== e.chosen && o.reason ? ` — ${o.reason}` : ''}` : (o.reason ?? 'not feasible');
      out.push(`- ${mark} **${o.node}**, ${why}`);
    }
    out.push('');
  }
  for (const u of result.unplaced) {
    out.push(`## ⚠ ${u.instance_id} cannot be placed`, '');
    for (const [n, r] of Object.entries(u.reasons)) out.push(`- **${n}**: ${r}`);
    out.push('');
  }
  for (const pe of result.pin_errors ?? []) out.push(`- ⚠ manual placement of \`${pe.instance_id}\` on **${pe.node}** breaks: ${pe.reasons.join('; ')}`);
  return out.join('\n');
}

/** Read-only plan documents (`clusterlab-plan:` URIs): never dirty, so closing one asks nothing. */
const PLAN_SCHEME = 'clusterlab-plan';
const planTexts = new Map<string, string>();
let planSeq = 0;
let providerRegistered = false;

/** Shows the plan in a Markdown preview beside the editor; each plan gets its own preview. */
export async function showPlan(result: PlanResult, title: string): Promise<void> {
  if (!providerRegistered) {
    providerRegistered = true;
    vscode.workspace.registerTextDocumentContentProvider(PLAN_SCHEME, { provideTextDocumentContent: (uri) => planTexts.get(uri.toString()) ?? '' });
  }
  const uri = vscode.Uri.from({ scheme: PLAN_SCHEME, path: `/Placement plan ${++planSeq}.md` });
  planTexts.set(uri.toString(), planMarkdown(result, title));
  // Keep the last few plans (a preview may still show one).
  for (const k of [...planTexts.keys()].slice(0, -5)) planTexts.delete(k);
  await vscode.commands.executeCommand('markdown.showPreviewToSide', uri).then(undefined, async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true, viewColumn: vscode.ViewColumn.Beside });
  });
}

/** The decision in a few lines for the Apply/Cancel dialog: each choice and why the others lost. */
export function planSummary(result: PlanResult): string {
  const out: string[] = [];
  for (const e of result.explanations) {
    const chosen = e.options.find((o) => o.node === e.chosen);
    out.push(`${e.instance_id} → ${e.chosen ?? 'not placed'}${chosen?.score !== undefined ? ` (score ${chosen.score.toFixed(1)}${chosen.breakdown ? `: ${SCORE_TERMS.map((t) => `${TERM_LABEL[t]} ${chosen.breakdown?.[t].toFixed(1)}`).join(', ')}` : ''})` : ''}`);
    for (const o of e.options) {
      if (o.node === e.chosen) continue;
      out.push(`– ${o.node} ${o.feasible ? `lost with score ${o.score?.toFixed(1) ?? '?'}${o.reason ? `, ${o.reason}` : ''}` : `excluded: ${o.reason ?? 'not feasible'}`}`);
    }
  }
  for (const u of result.unplaced) out.push(`${u.instance_id} cannot be placed: ${Object.entries(u.reasons).map(([n, r]) => `${n}: ${r}`).join('; ')}`);
  return out.join('\n');
}

export function registerPlanCommands(context: vscode.ExtensionContext, state: ClusterState, services: RemoteServices, checker: HealthChecker, channels: InstanceChannels): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(
      'clusterlab.planPlacement',
      guarded('Plan Placement', async (arg?: unknown) => {
        services.requireTrust();
        services.requireCluster();
        const instances = await pickInstances(state, arg);
        if (!instances) return;
        if (state.nodes().some((n) => !state.health.has(n.name))) await checker.checkWithProgress();
        const result = plan(placementInput(state, instances));
        await showPlan(result, `Placement plan: ${instances.length} instance(s)`);
        const apply = `Apply: start ${result.placements.length} instance(s)`;
        const detail = `${planSummary(result)}\n\nThe full explanation is in the preview beside the editor.`;
        const pick = await vscode.window.showInformationMessage('ClusterLab: apply this placement?', { modal: true, detail }, ...(result.placements.length && !result.unplaced.length ? [apply] : []));
        if (pick !== apply) return;
        await executePlan(state, services, channels, instances, result);
      }),
    ),
  );
}
