// Run ids and the paths derived from them. Run ids are safe file names by construction
// (`20250131T120000Z-<instance-slug>-<suffix>`); instance ids can be anything, so every path
// that contains one is still passed through `q` by the caller.

/** A run id from a time, an instance id and a random suffix (given, so this stays pure). */
export function makeRunId(instanceId: string, at: Date, suffix: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const slug = instanceId.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._-]+/, '').slice(0, 48) || 'run';
  return `${stamp}-${slug}-${suffix.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}`;
}

export function isSafeRunId(id: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(id) && id.length <= 128;
}

/** `<remote_work_dir>/.clusterlab/runs/<run_id>` */
export function remoteRunDir(remoteWorkDir: string, runId: string): string {
  return `${trimSlash(remoteWorkDir)}/.clusterlab/runs/${runId}`;
}

/** `<remote_work_dir>/logs/<instance_id>.log` (the seeds' log location). */
export function remoteLogPath(remoteWorkDir: string, instanceId: string): string {
  return `${trimSlash(remoteWorkDir)}/logs/${logFileName(instanceId)}`;
}

/** The log file name of an instance; `/` cannot be part of a file name, so it becomes `_`. */
export function logFileName(instanceId: string): string {
  return `${instanceId.replace(/\//g, '_').replace(/^\.+/, '_')}.log`;
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}
