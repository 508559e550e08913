// Run records as JSON files in `<workspace>/.clusterlab/runs/<run_id>.json`, written atomically
// (temporary file + rename), so a CLI killed mid-write never leaves a torn record.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isSafeRunId } from '../core/runs/ids';
import { isActive } from '../core/runs/stateMachine';
import { RUN_STATUSES, type RunRecord } from '../core/runs/types';

export class RunStore {
  readonly dir: string;

  constructor(workspaceRoot: string) {
    this.dir = join(workspaceRoot, '.clusterlab', 'runs');
  }

  async save(record: RunRecord): Promise<void> {
    if (!isSafeRunId(record.run_id)) throw new Error(`invalid run id ${JSON.stringify(record.run_id)}`);
    await fsp.mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${record.run_id}.json`);
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    await fsp.writeFile(tmp, JSON.stringify(record, null, 2) + '\n');
    await fsp.rename(tmp, file);
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    if (!isSafeRunId(runId)) return undefined;
    try {
      return parseRecord(await fsp.readFile(join(this.dir, `${runId}.json`), 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Every record, oldest start first. Unreadable files are skipped (and reported through `problems`). */
  async list(problems?: string[]): Promise<RunRecord[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch {
      return [];
    }
    const out: RunRecord[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      try {
        const r = parseRecord(await fsp.readFile(join(this.dir, n), 'utf8'));
        if (r) out.push(r);
        else problems?.push(`${join(this.dir, n)}: not a run record; it was skipped`);
      } catch (e) {
        problems?.push(`${join(this.dir, n)}: ${e instanceof Error ? e.message : String(e)}; it was skipped`);
      }
    }
    return out.sort((a, b) => (a.started_at ?? a.transitions[0]?.at ?? '').localeCompare(b.started_at ?? b.transitions[0]?.at ?? '') || a.run_id.localeCompare(b.run_id));
  }

  /** The newest record of each instance. */
  async latestByInstance(): Promise<Map<string, RunRecord>> {
    const m = new Map<string, RunRecord>();
    for (const r of await this.list()) m.set(r.instance_id, r);
    return m;
  }

  /** Records whose process may still be alive. */
  async active(): Promise<RunRecord[]> {
    return (await this.list()).filter((r) => isActive(r.status));
  }
}

function parseRecord(text: string): RunRecord | undefined {
  const v: unknown = JSON.parse(text);
  if (!v || typeof v !== 'object') return undefined;
  const r = v as Partial<RunRecord>;
  if (typeof r.run_id !== 'string' || typeof r.instance_id !== 'string' || typeof r.node !== 'string') return undefined;
  if (typeof r.status !== 'string' || !(RUN_STATUSES as readonly string[]).includes(r.status)) return undefined;
  if (!Array.isArray(r.transitions)) return undefined;
  return { restart_count: 0, env: {}, ...r } as RunRecord;
}
