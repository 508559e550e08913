// Palette parity: a command run without a tree item asks with a quick pick. Tree items, the
// dashboard and command links pass a NodeElement/RunElement, a name, or an array of them.
import * as vscode from 'vscode';
import type { RunRecord } from '../../core/runs/types';
import type { ClusterState } from '../state/clusterState';
import { STATUS_WORD } from '../views/icons';
import { nodeDescription, runDescription } from '../views/nodesTree';

type Arg = unknown;

function nodeNameOf(a: Arg): string | undefined {
  if (typeof a === 'string') return a;
  if (a && typeof a === 'object' && (a as { kind?: unknown }).kind === 'node') return String((a as { name: unknown }).name);
  if (a && typeof a === 'object' && typeof (a as { node?: unknown }).node === 'string') return (a as { node: string }).node;
  return undefined;
}

function runIdOf(a: Arg): string | undefined {
  if (typeof a === 'string') return a;
  if (a && typeof a === 'object' && (a as { kind?: unknown }).kind === 'run') return String((a as { runId: unknown }).runId);
  if (a && typeof a === 'object' && typeof (a as { run_id?: unknown }).run_id === 'string') return (a as { run_id: string }).run_id;
  return undefined;
}

/** The node a command acts on: from the argument, else a quick pick. */
export async function pickNode(state: ClusterState, arg: Arg, placeHolder: string, filter: (name: string) => boolean = () => true): Promise<string | undefined> {
  const given = nodeNameOf(arg);
  if (given && state.node(given)) return given;
  const items = state
    .nodes()
    .filter((n) => filter(n.name))
    .map((n) => ({ label: n.name, description: `${STATUS_WORD[state.displayStatus(n.name)]} · ${nodeDescription(n, state.health.get(n.name), state.activeOnNode(n.name).length)}`, detail: n.type === 'host' ? 'this machine' : n.host }));
  if (!items.length) {
    void vscode.window.showInformationMessage('ClusterLab: no node fits this command right now.');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true }))?.label;
}

/**
 * The runs a command acts on: the clicked item plus the other selected items (multi-select), else
 * a quick pick (many allowed when `many`).
 */
export async function pickRuns(state: ClusterState, arg: Arg, selected: Arg, placeHolder: string, filter: (r: RunRecord) => boolean, many: boolean): Promise<RunRecord[]> {
  const ids = new Set<string>();
  if (Array.isArray(selected)) for (const s of selected) {
    const id = runIdOf(s);
    if (id) ids.add(id);
  }
  const one = runIdOf(arg);
  if (one) ids.add(one);
  // An instance id works as well as a run id.
  const resolved = [...ids].map((id) => state.run(id) ?? state.runs().find((r) => r.instance_id === id)).filter((r): r is RunRecord => r !== undefined);
  if (resolved.length) return resolved.filter(filter);
  const candidates = state.runs().filter(filter);
  if (!candidates.length) {
    void vscode.window.showInformationMessage('ClusterLab: no instance fits this command right now.');
    return [];
  }
  const items = candidates.map((r) => ({ label: r.instance_id, description: runDescription(r), run: r }));
  if (many) {
    const picked = await vscode.window.showQuickPick(items, { placeHolder, canPickMany: true });
    return (picked ?? []).map((p) => p.run);
  }
  const picked = await vscode.window.showQuickPick(items, { placeHolder });
  return picked ? [picked.run] : [];
}
