// Stop a run: SIGTERM to its whole process group, wait up to the grace period, then SIGKILL.
// Children the experiment started (same group) go with it.
import { q } from '../../core/shell';
import { LIVE_GROUPS } from './inspect';
import type { NodeConnection } from '../connection';

export type StopOutcome = 'terminated' | 'killed' | 'not_running';

export interface StopResult {
  outcome: StopOutcome;
  /** From the exit_code file, when the wrapper could still write one (not after SIGKILL). */
  exit_code?: number;
}

export function stopScript(runDir: string, graceSeconds: number): string {
  const ticks = Math.max(0, Math.round(graceSeconds * 10));
  return [
    `d=${q(runDir)}; lim=${ticks}`,
    'g=$(cat "$d/pgid" 2>/dev/null)',
    // Group alive = a member that is not a zombie (zombies linger where init does not reap).
    `up() { ${LIVE_GROUPS}; if [ "$psok" = 1 ]; then case " $live " in *" $g "*) return 0;; esac; return 1; fi; kill -0 -- "-$g" 2>/dev/null; }`,
    'if [ -z "$g" ] || ! up; then echo not_running; cat "$d/exit_code" 2>/dev/null; exit 0; fi',
    'kill -TERM -- "-$g" 2>/dev/null',
    'n=0; while up && [ $n -lt $lim ]; do sleep 0.1; n=$((n+1)); done',
    'if up; then kill -KILL -- "-$g" 2>/dev/null; n=0; while up && [ $n -lt 50 ]; do sleep 0.1; n=$((n+1)); done; echo killed; else echo terminated; fi',
    'cat "$d/exit_code" 2>/dev/null; exit 0',
  ].join('\n');
}

export async function stopRun(conn: NodeConnection, runDir: string, graceSeconds: number): Promise<StopResult> {
  const r = await conn.exec(stopScript(runDir, graceSeconds), { timeoutMs: (graceSeconds + 20) * 1000 });
  const [first, second] = r.stdout.toString().trim().split('\n');
  if (r.code !== 0 || !first || !['terminated', 'killed', 'not_running'].includes(first)) {
    throw new Error(`stop failed in ${runDir} (exit ${r.code ?? r.signal}): ${r.stderr.toString().trim().slice(0, 300)}`);
  }
  const res: StopResult = { outcome: first as StopOutcome };
  if (second && /^\d+$/.test(second.trim())) res.exit_code = Number(second.trim());
  return res;
}
