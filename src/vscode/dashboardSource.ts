// The dashboard's data source (src/vscode/dashboard/source.ts), implemented from ClusterState.
import * as vscode from 'vscode';
import type { DashboardDataSource, DashboardInputs, DashboardCommand, DashboardTarget } from './dashboard/source';
import type { ClusterState } from './state/clusterState';
import { ACTIVE_RUN_STATUSES } from '../core/dashboard/model';
import { readSettings } from './settings';
import { log } from './log';

export function dashboardSource(state: ClusterState): DashboardDataSource {
  const changed = new vscode.EventEmitter<void>();
  state.onDidChange(() => changed.fire());
  return {
    getSnapshot(): DashboardInputs | undefined {
      const cluster = state.config.cluster;
      if (!cluster) return undefined;
      const runs = state.runs();
      return {
        cluster,
        health: [...state.health.values()],
        runs,
        allocations: runs.filter((r) => ACTIVE_RUN_STATUSES.includes(r.status)).flatMap((r) => (r.instance_config ? [{ instance: r.instance_config, node: r.node }] : [])),
      };
    },
    onDidChange: changed.event,
    samplingSeconds: () => readSettings().dashboardSampleSeconds,
    setSamplingSeconds: (s: number) => vscode.workspace.getConfiguration('clusterlab').update('dashboard.samplingSeconds', s, vscode.ConfigurationTarget.Workspace),
    runCommand(command: DashboardCommand, target: DashboardTarget) {
      switch (command) {
        case 'checkHealth':
          return vscode.commands.executeCommand(target.node ? 'clusterlab.checkNodeHealth' : 'clusterlab.checkHealth', target.node);
        case 'showLogs':
          return vscode.commands.executeCommand('clusterlab.showLogs', target.run_id);
        case 'openTerminal':
          return vscode.commands.executeCommand('clusterlab.openTerminal', target.node);
        case 'openConfig':
          return vscode.commands.executeCommand('clusterlab.openConfig');
        case 'stopInstance':
          return vscode.commands.executeCommand('clusterlab.stopInstance', target.run_id);
      }
    },
    log: (line: string) => log().info(`dashboard: ${line}`),
  };
}
