// What a node says about ClusterLab's run directories: is the process alive, is there an exit
// code. One exec per node, whatever the number of runs.
import { q } from '../../core/shell';
import { isSafeRunId } from '../../core/runs/ids';
import type { ObservedRun } from '../../core/runs/types';
import type { NodeConnection } from '../connection';

/** Sets $live (space-separated process groups with a non-zombie member) and $psok. */
export const LIVE_GROUPS = 'psok=1; live=$(ps -e -o pgid=,stat= 2>/dev/null | awk \'$2 !~ /^Z/ {printf "%s ", $1}\') || psok=0; [ -n "$live" ] || psok=0';

/** The shell loop that prints one tab-separated line per run directory. */
export function inspectScript(remoteWorkDir: string, runIds?: readonly string[]): string {
  const base = `${remoteWorkDir.replace(/\/+$/, '') || '/'}/.clusterlab/runs`;
  const ids = runIds ? runIds.filter(isSafeRunId) : undefined;
  return [
    `base=${q(base)}`,
    ids ? `set -- ${ids.map((i) => q(i)).join(' ')}` : 'set --; for x in "$base"/*/; do [ -d "$x" ] && set -- "$@" "$(basename "$x")"; done',
    LIVE_GROUPS,
    'for id in "$@"; do',
    '  d="$base/$id"',
    '  if [ ! -d "$d" ]; then printf "%s\\tabsent\\n" "$id"; continue; fi',
    '  pid=$(cat "$d/pid" 2>/dev/null); pgid=$(cat "$d/pgid" 2>/dev/null); ec=$(cat "$d/exit_code" 2>/dev/null)',
    '  sa=$(cat "$d/started_at" 2>/dev/null); ea=$(cat "$d/ended_at" 2>/dev/null); inst=$(head -c 4096 "$d/instance_id" 2>/dev/null | tr "\\t\\n" "  ")',
    // Alive = some process of the run's group that is not a zombie (a zombie is dead; where init
    // does not reap, `kill -0` would still find it).
    '  alive=0',
    '  if [ -n "$pgid" ]; then case " $live " in *" $pgid "*) alive=1;; esac; fi',
    '  if [ "$psok" = 0 ] && [ -n "$pgid" ] && kill -0 -- "-$pgid" 2>/dev/null; then alive=1; fi',
    '  printf "%s\\tpresent\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n" "$id" "$pid" "$pgid" "$alive" "$ec" "$sa" "$ea" "$inst"',
    'done',
  ].join('\n');
}

export interface InspectedRun extends ObservedRun {
  instance_id?: string;
}

export function parseInspectOutput(text: string): Record<string, InspectedRun> {
  const out: Record<string, InspectedRun> = {};
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [id, state, pid, pgid, alive, ec, sa, ea, inst] = line.split('\t');
    if (!id) continue;
    if (state !== 'present') {
      out[id] = { run_id: id, present: false, alive: false };
      continue;
    }
    const r: InspectedRun = { run_id: id, present: true, alive: alive === '1' };
    if (pid && /^\d+$/.test(pid) && pid !== '0') r.pid = Number(pid);
    if (pgid && /^\d+$/.test(pgid)) r.pgid = Number(pgid);
    if (ec && /^-?\d+$/.test(ec.trim())) r.exit_code = Number(ec.trim());
    if (sa) r.started_at = sa;
    if (ea) r.ended_at = ea;
    if (inst) r.instance_id = inst;
    out[id] = r;
  }
  return out;
}

/** Inspect the given runs (or every run directory) under `remoteWorkDir`. */
export async function inspectRuns(conn: NodeConnection, remoteWorkDir: string, runIds?: readonly string[], timeoutMs = 15_000): Promise<Record<string, InspectedRun>> {
  const r = await conn.exec(inspectScript(remoteWorkDir, runIds), { timeoutMs });
  if (r.code !== 0) throw new Error(`could not inspect run directories under ${remoteWorkDir} (exit ${r.code ?? r.signal}): ${r.stderr.toString().trim().slice(0, 300)}`);
  return parseInspectOutput(r.stdout.toString('utf8'));
}
