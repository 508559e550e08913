// Start, Stop, Restart an instance; Stop All (modal confirmation); multi-select stop; Show Logs;
// Fetch All Logs.
import * as vscode from 'vscode';
import { isActive } from '../../core/runs/stateMachine';
import type { RunRecord } from '../../core/runs/types';
import { describeError } from '../../core/errors';
import { sh } from '../../core/shell';
import type { ClusterState } from '../state/clusterState';
import type { RemoteServices } from '../remote/services';
import type { InstanceChannels } from '../output/instanceChannels';
import { guarded, showError } from '../errors';
import { pickRuns } from './pick';
import { readSettings } from '../settings';

const live = (r: RunRecord) => isActive(r.status);
const ended = (r: RunRecord) => !isActive(r.status);

async function stopRuns(state: ClusterState, services: RemoteServices, runs: RunRecord[]): Promise<void> {
  const session = services.runSession();
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `ClusterLab: stopping ${runs.length === 1 ? runs[0]?.instance_id : `${runs.length} instances`}`, cancellable: false }, async (progress) => {
    const errors: string[] = [];
    await Promise.all(
      runs.map(async (r) => {
        try {
          const rec = await session.stop(r.run_id);
          state.upsertRun(rec);
          progress.report({ increment: 100 / runs.length, message: `${r.instance_id} ${rec.status}` });
        } catch (e) {
          errors.push(`${r.instance_id} on node ${r.node}: ${describeError(e)}`);
        }
      }),
    );
    if (errors.length) await showError('Stop', new Error(errors.join('; ')), [{ title: 'Retry', run: () => stopRuns(state, services, runs.filter((r) => errors.some((e) => e.startsWith(`${r.instance_id} `)))) }]);
  });
}

async function startRuns(state: ClusterState, services: RemoteServices, channels: InstanceChannels, runs: RunRecord[]): Promise<void> {
  const session = services.runSession();
  for (const r of runs) {
    const inst = state.config.model?.instances.find((i) => i.instance_id === r.instance_id) ?? r.instance_config;
    if (!inst) throw new Error(`instance ${r.instance_id} is not in the loaded experiment files; open its file or fix its errors`);
    const rec = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `ClusterLab: starting ${r.instance_id} on ${r.node}` }, () => session.start(inst, r.node, r.placement ? { ...r.placement, manual: true } : undefined, { restartCount: r.restart_count + 1 }));
    state.upsertRun(rec);
    channels.ensure(rec);
  }
}

export function registerInstanceCommands(context: vscode.ExtensionContext, state: ClusterState, services: RemoteServices, channels: InstanceChannels): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(
      'clusterlab.stopInstance',
      guarded('Stop Instance', async (arg?: unknown, selected?: unknown) => {
        services.requireTrust();
        const runs = await pickRuns(state, arg, selected, 'Instances to stop', live, true);
        if (runs.length) await stopRuns(state, services, runs);
      }),
    ),
    vscode.commands.registerCommand(
      'clusterlab.startInstance',
      guarded('Start Instance', async (arg?: unknown, selected?: unknown) => {
        services.requireTrust();
        const runs = await pickRuns(state, arg, selected, 'Instance to start again on its node', ended, false);
        await startRuns(state, services, channels, runs);
      }),
    ),
    vscode.commands.registerCommand(
      'clusterlab.restartInstance',
      guarded('Restart Instance', async (arg?: unknown, selected?: unknown) => {
        services.requireTrust();
        const runs = await pickRuns(state, arg, selected, 'Instance to restart', () => true, false);
        const alive = runs.filter(live);
        if (alive.length) await stopRuns(state, services, alive);
        await startRuns(state, services, channels, runs);
      }),
    ),
    vscode.commands.registerCommand(
      'clusterlab.stopAll',
      guarded('Stop All', async () => {
        services.requireTrust();
        const runs = state.runs().filter(live);
        if (!runs.length) {
          void vscode.window.showInformationMessage('ClusterLab: no instance is running.');
          return;
        }
        const ok = `Stop ${runs.length} Instance(s)`;
        const pick = await vscode.window.showWarningMessage(`Stop all ${runs.length} running instance(s)?`, { modal: true, detail: runs.map((r) => `${r.instance_id} on ${r.node} (${r.status})`).join('\n') + '\n\nEach gets SIGTERM, then SIGKILL after the grace period.' }, ok);
        if (pick === ok) await stopRuns(state, services, runs);
      }),
    ),
    vscode.commands.registerCommand(
      'clusterlab.showLogs',
      guarded('Show Logs', async (arg?: unknown) => {
        services.requireTrust();
        const [run] = await pickRuns(state, arg, undefined, 'Instance whose log to show', () => true, false);
        if (run) channels.show(run, false);
      }),
    ),
    vscode.commands.registerCommand(
      'clusterlab.fetchAllLogs',
      guarded('Fetch All Logs', async (arg?: unknown) => {
        services.requireTrust();
        const { cluster, clusterDir } = services.requireCluster();
        // A folder given by a command link or a test; else the user picks one.
        let dir = typeof arg === 'string' ? vscode.Uri.file(arg) : arg instanceof vscode.Uri ? arg : undefined;
        if (!dir) {
          const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, defaultUri: vscode.Uri.file(clusterDir), openLabel: 'Fetch Logs Here', title: 'ClusterLab: folder to copy every node\'s logs into (one subfolder per node)' });
          dir = picked?.[0];
        }
        if (!dir) return;
        const target = dir;
        const session = services.runSession();
        const pool = services.connections();
        const nodes = cluster.nodes.filter((n) => !state.maintenanceSource(n.name));
        const errors: string[] = [];
        const done: string[] = [];
        let files = 0;
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'ClusterLab: Fetching logs', cancellable: true }, async (progress, token) => {
          const limit = readSettings().concurrency;
          const queue = [...nodes];
          await Promise.all(
            Array.from({ length: Math.min(limit, queue.length) }, async () => {
              for (let node = queue.shift(); node && !token.isCancellationRequested; node = queue.shift()) {
                try {
                  progress.report({ message: `${node.name}: listing logs…` });
                  const conn = await pool.get(node);
                  const work = await session.workDir(node.name, conn);
                  const r = await conn.exec(sh`cd ${work + '/logs'} 2>/dev/null || exit 0; for f in *.log; do [ -f "$f" ] && printf '%s\\0' "$f"; done; exit 0`, { timeoutMs: 30_000 });
                  const names = r.stdout.toString('utf8').split('\0').filter((x) => x && !x.includes('/'));
                  const dest = vscode.Uri.joinPath(target, node.name);
                  await vscode.workspace.fs.createDirectory(dest);
                  for (const [i, name] of names.entries()) {
                    if (token.isCancellationRequested) break;
                    progress.report({ message: `${node.name}: ${i + 1}/${names.length} log files` });
                    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(dest, name), await conn.readFile(`${work}/logs/${name}`));
                    files++;
                  }
                  done.push(`${node.name} (${names.length})`);
                } catch (e) {
                  errors.push(`node ${node.name}: ${describeError(e).replace(/^node \S+: /, '')}`);
                }
                progress.report({ increment: 100 / nodes.length });
              }
            }),
          );
        });
        const where = vscode.workspace.asRelativePath(target);
        if (errors.length) await showError(`Fetch All Logs: ${files} log file(s) copied into ${where}, but`, new Error(errors.join('; ')), [{ title: 'Retry', run: () => vscode.commands.executeCommand('clusterlab.fetchAllLogs', target) }]);
        else {
          const pick = await vscode.window.showInformationMessage(`ClusterLab: fetched ${files} log file(s) from ${done.join(', ')} into ${where}/<node>/.`, 'Reveal');
          if (pick) await vscode.commands.executeCommand('revealInExplorer', target);
        }
      }),
    ),
  );
}
