// Theme icons with theme colours for node statuses and run states.
import * as vscode from 'vscode';
import type { NodeStatus } from '../../core/health/types';
import type { RunStatus } from '../../core/runs/types';

export type NodeDisplayStatus = NodeStatus | 'probing' | 'unknown';

const color = (id: string) => new vscode.ThemeColor(id);

export function nodeIcon(status: NodeDisplayStatus): vscode.ThemeIcon {
  switch (status) {
    case 'healthy':
      return new vscode.ThemeIcon('vm-active', color('testing.iconPassed'));
    case 'degraded':
      return new vscode.ThemeIcon('vm-outline', color('list.warningForeground'));
    case 'unavailable':
      return new vscode.ThemeIcon('vm-outline', color('list.errorForeground'));
    case 'maintenance':
      return new vscode.ThemeIcon('tools', color('disabledForeground'));
    case 'probing':
      return new vscode.ThemeIcon('loading~spin');
    case 'unknown':
      return new vscode.ThemeIcon('vm', color('descriptionForeground'));
  }
}

export function runIcon(status: RunStatus, exitCode?: number): vscode.ThemeIcon {
  switch (status) {
    case 'planned':
      return new vscode.ThemeIcon('circle-large-outline', color('descriptionForeground'));
    case 'deploying':
      return new vscode.ThemeIcon('sync~spin', color('charts.blue'));
    case 'starting':
      return new vscode.ThemeIcon('loading~spin', color('charts.blue'));
    case 'running':
      return new vscode.ThemeIcon('play-circle', color('testing.iconPassed'));
    case 'exited':
      return exitCode === undefined || exitCode === 0 ? new vscode.ThemeIcon('pass', color('testing.iconPassed')) : new vscode.ThemeIcon('error', color('testing.iconFailed'));
    case 'failed':
      return new vscode.ThemeIcon('error', color('testing.iconFailed'));
    case 'crashed':
      return new vscode.ThemeIcon('flame', color('testing.iconFailed'));
    case 'stopped':
      return new vscode.ThemeIcon('debug-stop', color('descriptionForeground'));
    case 'lost':
      return new vscode.ThemeIcon('question', color('list.warningForeground'));
  }
}

export const STATUS_WORD: Record<NodeDisplayStatus, string> = {
  healthy: 'healthy',
  degraded: 'degraded',
  unavailable: 'unavailable',
  maintenance: 'maintenance',
  probing: 'checking…',
  unknown: 'not checked yet',
};
