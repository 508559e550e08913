// The health probe: one POSIX sh script, sent as ONE exec (one round trip on a warm connection),
// printing a section per tool (format and parser in src/core/health/probeOutput.ts).
//
// The script is passed as `sh -c '<script>'`, so it runs under sh whatever the login shell is. It
// holds no `\\` or `\'`, so the single-quoted form also reads the same in fish.
import { sh } from '../core/shell';
import { assessHealth, type AssessOptions } from '../core/health/assess';
import { MARKER, PROBE_VERSION, parseProbeOutput } from '../core/health/probeOutput';
import type { NodeHealth, ProbeMeasurements } from '../core/health/types';
import type { NodeConfig } from '../core/config/schema';
import type { NodeConnection } from './connection';

const NVIDIA_QUERY = 'nvidia-smi --query-gpu=name,memory.total,memory.used,utilization.gpu,temperature.gpu --format=csv,noheader,nounits';

/** The probe script for a node whose work dir is `workDir` (`~` and `~/...` are expanded on the node). */
export function buildProbeScript(workDir: string): string {
  const m = (name: string) => `echo ${MARKER}${name}`;
  return [
    'LC_ALL=C; export LC_ALL',
    sh`W=${workDir}`,
    // `~` and `~/x` arrive quoted (no expansion): expand them here. Relative paths are relative to
    // the login directory, which is where ssh starts.
    'case "$W" in "~") W="$HOME";; "~/"*) W="$HOME/${W#??}";; esac',
    `echo ${MARKER}probe ${PROBE_VERSION}`,
    m('meminfo'),
    'cat /proc/meminfo 2>/dev/null',
    m('loadavg'),
    'cat /proc/loadavg 2>/dev/null',
    m('nproc'),
    'nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null',
    m('arch'),
    'uname -m 2>/dev/null',
    // df of the work dir, or of its nearest existing parent when it does not exist yet.
    'd="$W"; n=0; until [ -d "$d" ] || [ $n -gt 64 ]; do d=$(dirname "$d"); n=$((n+1)); done',
    `echo "${MARKER}df $d"`,
    'df -Pk -- "$d" 2>&1',
    // GPU: nvidia-smi where present; on Jetson (tegrastats present) one tegrastats sample when
    // nvidia-smi is missing or has nothing to say about the integrated GPU.
    'g=0',
    'if command -v nvidia-smi >/dev/null 2>&1; then',
    `  o=$(${NVIDIA_QUERY} 2>&1); rc=$?`,
    `  echo "${MARKER}nvidia-smi rc=$rc"; printf '%s\\n' "$o"`,
    '  case "$o" in *"N/A"*) ;; *) [ $rc -eq 0 ] && g=1;; esac',
    'fi',
    'if [ $g -eq 0 ] && command -v tegrastats >/dev/null 2>&1; then',
    `  ${'echo ' + MARKER}tegrastats`,
    '  if command -v timeout >/dev/null 2>&1; then timeout 2 tegrastats --interval 500 2>&1 | head -n 1; else tegrastats --interval 500 2>&1 | head -n 1; fi',
    'fi',
    'if command -v vcgencmd >/dev/null 2>&1; then',
    `  ${'echo ' + MARKER}vcgencmd`,
    '  vcgencmd measure_temp 2>&1; vcgencmd get_throttled 2>&1',
    'fi',
    m('thermal'),
    'for z in /sys/class/thermal/thermal_zone*; do [ -r "$z/temp" ] && echo "$(cat "$z/type" 2>/dev/null || echo zone) $(cat "$z/temp" 2>/dev/null)"; done 2>/dev/null',
    // ClusterLab's own runs: name, pid, whether the process is alive (kill -0, or /proc/PID for
    // another user's process), exit code when written.
    m('runs'),
    'for r in "$W"/.clusterlab/runs/*/; do',
    '  [ -d "$r" ] || continue',
    '  n="${r%/}"; n="${n##*/}"',
    '  case "$n" in *[[:cntrl:]]*) continue;; esac',
    '  p=$(cat "$r/pid" 2>/dev/null); a=0',
    '  case "$p" in ""|*[!0-9]*) p="";; *) { kill -0 "$p" 2>/dev/null || [ -d "/proc/$p" ]; } && a=1;; esac',
    '  e=$(cat "$r/exit_code" 2>/dev/null | head -n 1)',
    String.raw`  printf 'run\t%s\t%s\t%s\t%s\n' "$n" "$p" "$a" "$e"`,
    'done',
    m('end'),
    'exit 0',
  ].join('\n');
}

/** The single command sent to the node. */
export function probeCommand(workDir: string): string {
  return sh`sh -c ${buildProbeScript(workDir)}`;
}

export interface ProbeResult {
  measurements: ProbeMeasurements;
  exitCode: number | null;
  stderr: string;
  /** Wall time of the exec (one round trip plus the script's own time). */
  latencyMs: number;
}

/** Run the probe through a connection. Connection failures throw (ConnectionError); a failing script does not. */
export async function runProbe(conn: NodeConnection, workDir: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ProbeResult> {
  const started = performance.now();
  const r = await conn.exec(probeCommand(workDir), { ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  const latencyMs = performance.now() - started;
  const text = r.stdout.toString('utf8');
  return { measurements: parseProbeOutput(text), exitCode: r.code, stderr: r.stderr.toString('utf8'), latencyMs };
}

/** Probe a node and judge it. */
export async function probeNode(node: NodeConfig, conn: NodeConnection, workDir: string, opts: AssessOptions & { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<NodeHealth> {
  const r = await runProbe(conn, workDir, opts);
  return assessHealth(node, r.measurements, { ...opts, latencyMs: r.latencyMs, exitCode: r.exitCode, stderr: r.stderr });
}
