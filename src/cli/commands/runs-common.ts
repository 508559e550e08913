// Shared by run, status, logs and stop: load the workspace, open the pool and the session, and
// format runs for people.
import { isAbsolute, resolve } from 'node:path';
import type { CliIO, ParsedValues } from '../command';
import { EXIT_PROBLEM } from '../command';
import { poolFromFlags } from '../connect';
import { loadWorkspace, printDiagnostics, type LoadedWorkspace } from '../workspace';
import type { WorkspaceModel } from '../../core/config/validate';
import { describeStatus } from '../../core/runs/stateMachine';
import type { RunRecord } from '../../core/runs/types';
import type { ConnectionPool } from '../../remote/pool';
import { ClusterSession } from '../../remote/session';

export interface OpenedSession {
  ws: LoadedWorkspace;
  model: WorkspaceModel;
  pool: ConnectionPool;
  session: ClusterSession;
}

/** Loads the workspace (printing diagnostics) and opens a session; a number is an exit code. */
export async function openSession(io: CliIO, values: ParsedValues, experiments?: string[]): Promise<OpenedSession | number> {
  const ws = await loadWorkspace(io, { ...(typeof values.cluster === 'string' ? { cluster: values.cluster } : {}), ...(experiments ? { experiments } : {}) });
  const errors = ws.diagnostics.filter((d) => d.severity === 'error');
  if (!ws.model || errors.length) {
    printDiagnostics(io, ws.diagnostics);
    io.err(`${errors.length || 'some'} problem(s) in the configuration; fix them and try again ("clusterlab validate" shows them all)\n`);
    return EXIT_PROBLEM;
  }
  const model = ws.model;
  const instanceSource: Record<string, string> = {};
  for (const [id, file] of Object.entries(model.instanceSource)) instanceSource[id] = isAbsolute(file) ? file : resolve(io.cwd, file);
  const pool = poolFromFlags(io, values, ws.rootDir);
  const session = new ClusterSession({ rootDir: ws.rootDir, clusterDir: ws.rootDir, cluster: model.cluster, instanceSource, connections: pool });
  return { ws, model, pool, session };
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function runDuration(r: RunRecord, now = Date.now()): string {
  if (!r.started_at) return '-';
  const end = r.ended_at ? Date.parse(r.ended_at) : now;
  return fmtDuration(end - Date.parse(r.started_at));
}

/** A plain text table with padded columns. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

export function runRow(r: RunRecord): string[] {
  return [r.instance_id, r.node, describeStatus(r), r.started_at ? r.started_at.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '-', runDuration(r), r.run_id];
}

export const RUN_HEAD = ['INSTANCE', 'NODE', 'STATUS', 'STARTED', 'DURATION', 'RUN'];

/** The JSON shape of `clusterlab status --json` for one run. */
export function runJson(r: RunRecord): Record<string, unknown> {
  return {
    run_id: r.run_id,
    instance_id: r.instance_id,
    node: r.node,
    status: r.status,
    exit_code: r.exit_code ?? null,
    started_at: r.started_at ?? null,
    ended_at: r.ended_at ?? null,
    pid: r.pid ?? null,
    pgid: r.pgid ?? null,
    command: r.command,
    config_hash: r.config_hash,
    git_commit: r.git_commit ?? null,
    git_dirty: r.git_dirty ?? null,
    placement: r.placement ?? null,
    restart_count: r.restart_count,
    remote_work_dir: r.remote_work_dir,
    log_path: r.log_path,
    transitions: r.transitions,
  };
}
