// Start, Stop, Restart an instance; Stop All (modal confirmation); multi-select stop; Show Logs;
// Fetch All Logs.
import * as vscode from 'vscode';
import { isActive } from '../../core/runs/stateMachine';
import type { RunRecord } from '../../core/runs/types';
import { describeError } from '../../core/errors';
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
      guarded('Fetch All Logs', async () => {
        services.requireTrust();
        const { clusterDir } = services.requireCluster();
        const runs = state.runs();
        if (!runs.length) {
          void vscode.window.showInformationMessage('ClusterLab: no runs yet, so no logs to fetch.');
          return;
        }
        const pool = services.connections();
        const dir = vscode.Uri.joinPath(vscode.Uri.file(clusterDir), '.clusterlab', 'logs');
        await vscode.workspace.fs.createDirectory(dir);
        const errors: string[] = [];
        let fetched = 0;
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'ClusterLab: fetching logs', cancellable: true }, async (progress, token) => {
          const byNode = new Map<string, RunRecord[]>();
          for (const r of runs) byNode.set(r.node, [...(byNode.get(r.node) ?? []), r]);
          const limit = readSettings().concurrency;
          const queue = [...byNode.entries()];
          await Promise.all(
            Array.from({ length: Math.min(limit, queue.length) }, async () => {
              for (let next = queue.shift(); next && !token.isCancellationRequested; next = queue.shift()) {
                const [node, recs] = next;
                const cfg = state.node(node);
                if (!cfg) continue;
                try {
                  const conn = await pool.get(cfg);
                  for (const r of recs) {
                    const data = await conn.readFile(r.log_path, r.log_start_offset ? { offset: r.log_start_offset } : undefined);
                    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(dir, `${r.instance_id}@${r.node}.log`), data);
                    fetched++;
                    progress.report({ increment: 100 / runs.length, message: `${r.instance_id}@${node}` });
                  }
                } catch (e) {
                  errors.push(`node ${node}: ${describeError(e)}`);
                }
              }
            }),
          );
        });
        if (errors.length) await showError(`fetched ${fetched} of ${runs.length} log(s)`, new Error(errors.join('; ')));
        else {
          const pick = await vscode.window.showInformationMessage(`ClusterLab: fetched ${fetched} log(s) into ${vscode.workspace.asRelativePath(dir)}.`, 'Reveal');
          if (pick) await vscode.commands.executeCommand('revealInExplorer', dir);
        }
      }),
    ),
  );
}
