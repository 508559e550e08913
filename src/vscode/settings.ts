// Typed access to the `clusterlab.*` settings (declared in package.json `contributes.configuration`).
import * as vscode from 'vscode';

export interface Settings {
  clusterFile: string[];
  experimentFiles: string;
  healthIntervalSeconds: number;
  concurrency: number;
  knownHostsPath: string;
  sshConfigPath: string;
  rememberPassphrases: boolean;
  logTailLines: number;
  dashboardSampleSeconds: number;
}

export const DEFAULT_CLUSTER_FILES = ['cluster.yaml', 'cluster_config.yaml'];
export const DEFAULT_EXPERIMENT_FILES = 'experiments/**/*.{yaml,yml,json}';

export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const c = vscode.workspace.getConfiguration('clusterlab', scope);
  const files = c.get<string[] | string>('clusterFile', DEFAULT_CLUSTER_FILES);
  return {
    clusterFile: (Array.isArray(files) ? files : [files]).filter((s) => typeof s === 'string' && s.trim() !== ''),
    experimentFiles: c.get<string>('experimentFiles', DEFAULT_EXPERIMENT_FILES) || DEFAULT_EXPERIMENT_FILES,
    healthIntervalSeconds: Math.max(0, c.get<number>('health.intervalSeconds', 15)),
    concurrency: Math.max(1, Math.floor(c.get<number>('concurrency', 8))),
    knownHostsPath: c.get<string>('ssh.knownHostsPath', ''),
    sshConfigPath: c.get<string>('ssh.configPath', ''),
    rememberPassphrases: c.get<boolean>('ssh.rememberPassphrases', false),
    logTailLines: Math.max(0, Math.floor(c.get<number>('logs.tailLines', 200))),
    dashboardSampleSeconds: Math.max(0.5, c.get<number>('dashboard.samplingSeconds', 2)),
  };
}

/** Fires when any ClusterLab setting changes. */
export function onDidChangeSettings(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('clusterlab')) listener();
  });
}
