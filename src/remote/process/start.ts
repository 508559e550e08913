// Start one run detached on its node: refuse when the instance is already running there, write
// the run directory (instance_id), then hand over to the connection's detached wrapper
// (setsid, own process group, pid/pgid/started_at/command/env/exit_code files, output appended
// to logs/<instance_id>.log).
import { ClusterLabError } from '../../core/errors';
import { remoteLogPath, remoteRunDir } from '../../core/runs/ids';
import type { NodeConnection } from '../connection';
import { inspectRuns } from './inspect';

export interface StartSpec {
  runId: string;
  instanceId: string;
  node: string;
  /** Rendered command line (placeholders already substituted and quoted). */
  command: string;
  /** Absolute remote work dir (resolved). The command runs here. */
  remoteWorkDir: string;
  env: Record<string, string>;
}

export interface StartedRun {
  pid: number;
  pgid: number;
  runDir: string;
  logPath: string;
}

/** Runs of `instanceId` still alive on the node (from their run directories). */
export async function aliveRunsOfInstance(conn: NodeConnection, remoteWorkDir: string, instanceId: string): Promise<string[]> {
  const runs = await inspectRuns(conn, remoteWorkDir);
  return Object.values(runs)
    .filter((r) => r.alive && r.exit_code === undefined && r.instance_id === instanceId.replace(/[\t\n]/g, ' '))
    .map((r) => r.run_id);
}

export async function startRun(conn: NodeConnection, spec: StartSpec): Promise<StartedRun> {
  const alive = await aliveRunsOfInstance(conn, spec.remoteWorkDir, spec.instanceId);
  if (alive.length) {
    throw new ClusterLabError(
      'run.already_running',
      `instance ${spec.instanceId} is already running (run ${alive.join(', ')})`,
      `Stop it first with "clusterlab stop ${spec.instanceId}", or wait for it to finish`,
      { kind: 'node', node: spec.node },
    );
  }
  const runDir = remoteRunDir(spec.remoteWorkDir, spec.runId);
  const logPath = remoteLogPath(spec.remoteWorkDir, spec.instanceId);
  await conn.writeFile(`${runDir}/instance_id`, spec.instanceId);
  const h = await conn.startDetached({ command: spec.command, cwd: spec.remoteWorkDir, env: spec.env, logFile: logPath, runDir });
  return { pid: h.pid, pgid: h.pgid, runDir, logPath };
}
