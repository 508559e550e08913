// The one wrapper that starts a detached process, shared by LocalConnection and SshConnection so
// both behave identically.
//
// Layout of `runDir` after start (every file is written by the wrapper on the node):
//   pid         pid of the command's shell (a child of the wrapper, same process group)
//   pgid        process group id = session id = pid of the wrapper (`kill -TERM -- -$pgid`
//               stops everything the run started)
//   started_at  UTC time, ISO 8601 (`2025-01-31T12:00:00Z`)
//   command     the command line, as given
//   env         the environment given, one `NAME='value'` per line
//   ended_at    UTC time the command ended (written just before exit_code)
//   exit_code   the exit status (128+N when killed by signal N); written atomically (tmp + mv)
//               when the command ends. SIGTERM/SIGINT/SIGHUP sent to the wrapper are forwarded to
//               the command and the wrapper still records its status. After SIGKILL of the
//               whole group there is no exit_code: treat "no exit_code and pgid gone" as killed.
// stdout and stderr of the command are appended to `logFile`.
import { envAssignments, raw, sh } from '../core/shell';
import type { DetachedHandle, DetachedSpec } from './connection';

/** Runs inside the new session. $1 runDir, $2 logFile, $3 cwd, $4 command, $5 env text. */
const WRAPPER = [
  'd=$1; log=$2',
  'cd "$3" || { printf "clusterlab: cannot cd to %s\\n" "$3" >>"$log"; printf 127 >"$d/exit_code.tmp"; mv -f "$d/exit_code.tmp" "$d/exit_code"; printf 0 >"$d/pid"; exit 127; }',
  'printf "%s\\n" "$4" >"$d/command"',
  'printf "%s" "$5" >"$d/env"',
  'date -u +%Y-%m-%dT%H:%M:%SZ >"$d/started_at"',
  'printf "%s\\n" "$$" >"$d/pgid"',
  'sh -c "$4" </dev/null >>"$log" 2>&1 &',
  'c=$!',
  "trap 'kill -TERM $c 2>/dev/null' TERM",
  "trap 'kill -INT $c 2>/dev/null' INT",
  "trap 'kill -HUP $c 2>/dev/null' HUP",
  'printf "%s\\n" "$c" >"$d/pid.tmp" && mv -f "$d/pid.tmp" "$d/pid"',
  'while :; do wait "$c"; rc=$?; kill -0 "$c" 2>/dev/null || break; done',
  'date -u +%Y-%m-%dT%H:%M:%SZ >"$d/ended_at"',
  'printf "%s\\n" "$rc" >"$d/exit_code.tmp" && mv -f "$d/exit_code.tmp" "$d/exit_code"',
].join('\n');

/**
 * The shell command (run by `sh -c` locally or the login shell over SSH) that starts `spec`
 * detached and prints `PID PGID` once the process is running. Every value goes through `q`.
 */
export function buildDetachedCommand(spec: DetachedSpec): string {
  const envText = Object.entries(spec.env)
    .map(([k, v]) => `${envAssignments({ [k]: v })}\n`)
    .join('');
  const envEnv = envAssignments(spec.env);
  const logDir = spec.logFile.includes('/') ? spec.logFile.slice(0, spec.logFile.lastIndexOf('/')) || '/' : '.';
  const d = spec.runDir;
  return [
    sh`mkdir -p ${d} ${logDir} || exit 1`,
    sh`rm -f ${d}/pid ${d}/pgid ${d}/exit_code ${d}/exit_code.tmp ${d}/ended_at`,
    // env assignments apply to setsid and so to the wrapper and the command.
    sh`${raw(envEnv ? `${envEnv} ` : '')}setsid sh -c ${WRAPPER} clusterlab-run ${d} ${spec.logFile} ${spec.cwd} ${spec.command} ${envText} </dev/null >/dev/null 2>&1 &`,
    sh`i=0; while [ ! -s ${d}/pid ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done`,
    sh`[ -s ${d}/pid ] || { echo 'clusterlab: detached process did not start within 10 s' >&2; exit 1; }`,
    sh`if [ -s ${d}/exit_code ] && [ "$(cat ${d}/pid)" = 0 ]; then echo "clusterlab: cannot cd to "${spec.cwd} >&2; exit 1; fi`,
    sh`printf '%s %s\\n' "$(cat ${d}/pid)" "$(cat ${d}/pgid)"`,
  ].join('\n');
}

/** Parses the `PID PGID` line printed by buildDetachedCommand. */
export function parseDetachedOutput(stdout: string): DetachedHandle | null {
  const m = /^(\d+) (\d+)\s*$/m.exec(stdout.trim());
  if (!m) return null;
  return { pid: Number(m[1]), pgid: Number(m[2]) };
}
