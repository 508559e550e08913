// The health probe: one POSIX sh script, sent as ONE exec (one round trip on a warm connection),
// printing a section per tool (format and parser in src/core/health/probeOutput.ts).
//
// Light on the node: sshd runs the command with the user's login shell (`$SHELL -c CMD`), which
// `exec`s one `sh` (no fork: bash does that for a lone command anyway, `exec` makes every shell do
// it), so the script runs under sh whatever the login shell is. Inside, files are read with the
// `read` builtin (no `cat`, `head`, `dirname` or `$(...)` subshells), the CPU count and the
// architecture come from /sys and /proc, GPU and Pi tools run only where `command -v` finds them.
// On a plain node the only processes are the login shell, sh and one `df`.
//
// The script holds no `\\` or `\'`, so the single-quoted form also reads the same in fish.
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
    // RAM: only the lines the parser reads (all before SwapFree), read with the builtin.
    m('meminfo'),
    'while read -r k v u; do case "$k" in MemTotal:|MemFree:|MemAvailable:|Buffers:|Cached:|SwapTotal:) echo "$k $v $u";; SwapFree:) echo "$k $v $u"; break;; esac; done 2>/dev/null </proc/meminfo',
    m('loadavg'),
    'l=; read -r l 2>/dev/null </proc/loadavg; echo "$l"',
    // CPUs online: count the kernel's list ("0-3,6"); getconf only where /sys has no list.
    m('nproc'),
    'l=; read -r l 2>/dev/null </sys/devices/system/cpu/online; c=0',
    'while [ -n "$l" ]; do x="${l%%,*}"; case "$l" in *,*) l="${l#*,}";; *) l=;; esac',
    '  case "$x" in *[!0-9-]*|-*|*-|*-*-*) ;; *-*) c=$((c+${x#*-}-${x%-*}+1));; ?*) c=$((c+1));; esac',
    'done',
    'if [ $c -gt 0 ]; then echo $c; else getconf _NPROCESSORS_ONLN 2>/dev/null; fi',
    // `uname -m`, from /proc where the kernel has it (Linux 6.1+).
    m('arch'),
    'a=; read -r a 2>/dev/null </proc/sys/kernel/arch; if [ -n "$a" ]; then echo "$a"; else uname -m 2>/dev/null; fi',
    // df of the work dir, or of its nearest existing parent when it does not exist yet.
    'd="$W"; n=0',
    'until [ -d "$d" ] || [ $n -gt 64 ]; do case "$d" in */*) d="${d%/*}"; [ -n "$d" ] || d=/;; *) d=.;; esac; n=$((n+1)); done',
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
    'for z in /sys/class/thermal/thermal_zone*; do',
    '  t=zone; v=; read -r t 2>/dev/null <"$z/type"; read -r v 2>/dev/null <"$z/temp"; [ -n "$v" ] && echo "${t:-zone} $v"',
    'done',
    // ClusterLab's own runs: name, pid, whether the process is alive (kill -0, or /proc/PID for
    // another user's process), exit code when written. The files are read with the builtin.
    m('runs'),
    'for r in "$W"/.clusterlab/runs/*/; do',
    '  [ -d "$r" ] || continue',
    '  n="${r%/}"; n="${n##*/}"',
    '  case "$n" in *[[:cntrl:]]*) continue;; esac',
    '  p=; e=; a=0; read -r p 2>/dev/null <"$r/pid"; read -r e 2>/dev/null <"$r/exit_code"',
    '  case "$p" in ""|0|*[!0-9]*) p="";; *) { kill -0 "$p" 2>/dev/null || [ -d "/proc/$p" ]; } && a=1;; esac',
    String.raw`  printf 'run\t%s\t%s\t%s\t%s\n' "$n" "$p" "$a" "$e"`,
    'done',
    m('end'),
    'exit 0',
  ].join('\n');
}

/** The single command sent to the node: the login shell replaces itself with sh (no fork). */
export function probeCommand(workDir: string): string {
  return sh`exec sh -c ${buildProbeScript(workDir)}`;
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
