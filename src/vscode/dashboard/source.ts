// DashboardDataSource: what the dashboard needs from the rest of the extension. The extension
// (src/vscode/extension.ts) implements it and passes it to `registerDashboard(context, source)`.
//
//   getSnapshot()          The current inputs, synchronously and cheaply (no I/O: return what the
//                          extension already holds): the parsed cluster file, the last health probe
//                          per node, the run records, and the allocation = the instances holding
//                          resources on a node, exactly what `clusterlab report` counts (same
//                          function, same inputs, so the numbers match). `undefined` when there is
//                          no valid cluster file: the page then says so.
//   onDidChange            Fire when any of those changed (probe finished, run changed state,
//                          config edited). The dashboard debounces it and sends only deltas.
//   samplingSeconds()      The `clusterlab.dashboard.samplingSeconds` setting (history interval).
//   setSamplingSeconds(s)  Store a new interval in that setting (the page has a picker).
//   runCommand(cmd, target) Run a ClusterLab command for the page's buttons: 'checkHealth' (node
//                          optional: all nodes), 'showLogs' (run_id), 'openTerminal' (node),
//                          'openConfig', 'stopInstance' (run_id). Errors are the extension's to
//                          show; the dashboard logs a rejected promise.
//   log(line)              Optional: write a line to the "ClusterLab" output channel (dropped
//                          messages and their reasons go there).
import type * as vscode from 'vscode';
import type { DashboardInputs } from '../../core/dashboard/model';
import type { DashboardCommand } from '../../core/dashboard/protocol';

export type { DashboardInputs } from '../../core/dashboard/model';
export type { DashboardCommand } from '../../core/dashboard/protocol';

export interface DashboardTarget {
  node?: string;
  run_id?: string;
}

export interface DashboardDataSource {
  getSnapshot(): DashboardInputs | undefined;
  readonly onDidChange: vscode.Event<void>;
  samplingSeconds(): number;
  setSamplingSeconds(seconds: number): Thenable<void> | void;
  runCommand(command: DashboardCommand, target: DashboardTarget): Thenable<unknown> | void;
  log?(line: string): void;
}
