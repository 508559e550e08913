// How the extension reports a failure: the message names the node or file, says what failed and
// what to do, and offers actions. Never a stack trace.
import * as vscode from 'vscode';
import { ClusterLabError, describeError } from '../core/errors';
import { ConnectionError } from '../remote/connection';
import { log } from './log';

export interface ErrorAction {
  title: string;
  run: () => unknown;
}

export async function showError(context: string, e: unknown, actions: ErrorAction[] = []): Promise<void> {
  const text = describeError(e);
  log().error(`${context}: ${text}`);
  const all: ErrorAction[] = [...actions];
  if (e instanceof ClusterLabError && (e.code === 'vscode.invalid_config' || e.where.kind === 'file')) all.push({ title: 'Open Config', run: () => vscode.commands.executeCommand('clusterlab.openConfig') });
  if (e instanceof ConnectionError && (e.kind === 'host_key_changed' || e.kind === 'auth_failed' || e.kind === 'unreachable')) all.push({ title: 'Open Config', run: () => vscode.commands.executeCommand('clusterlab.openConfig') });
  if (e instanceof ClusterLabError && e.code === 'vscode.untrusted') all.push({ title: 'Manage Workspace Trust', run: () => vscode.commands.executeCommand('workbench.trust.manage') });
  all.push({ title: 'Show Log', run: () => log().show(true) });
  const pick = await vscode.window.showErrorMessage(`ClusterLab: ${context}: ${text}`, ...all.map((a) => a.title));
  await all.find((a) => a.title === pick)?.run();
}

/** Runs a command body, reporting any failure with showError. */
export function guarded<A extends unknown[]>(context: string, fn: (...args: A) => Promise<unknown>, retry = true): (...args: A) => Promise<void> {
  const wrapped = async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof vscode.CancellationError) return;
      await showError(context, e, retry ? [{ title: 'Retry', run: () => wrapped(...args) }] : []);
    }
  };
  return wrapped;
}
