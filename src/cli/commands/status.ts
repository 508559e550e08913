// clusterlab status [--json] [--all]: reattach to every run (reconcile records with what the
// nodes report) and show where each instance stands.
import { EXIT_OK, type CliCommand } from '../command';
import { CONNECT_HELP, CONNECT_OPTIONS } from '../connect';
import { openSession, runJson, runRow, RUN_HEAD, table } from './runs-common';

export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'Show every run: running, exited, failed, crashed, stopped or lost (asks the nodes)',
  usage: ['status [--json] [--all]'],
  help: ['  --json    machine-readable: {"runs":[{"run_id","instance_id","node","status","exit_code","started_at","ended_at",…}]}', '  --all     every run, not only the newest of each instance', CONNECT_HELP].join('\n'),
  options: { json: { type: 'boolean' }, all: { type: 'boolean' }, ...CONNECT_OPTIONS },
  async run(io, values) {
    const opened = await openSession(io, values, []);
    if (typeof opened === 'number') return opened;
    const { session, pool } = opened;
    try {
      const changes = await session.reconcile();
      const problems: string[] = [];
      const all = await session.store.list(problems);
      for (const p of problems) io.err(`warning: ${p}\n`);
      if (values.json) {
        io.out(JSON.stringify({ runs: all.map(runJson) }, null, 2) + '\n');
        return EXIT_OK;
      }
      if (!all.length) {
        io.out(`No runs yet in ${session.store.dir}. Start some with "clusterlab run --experiments FILE --auto-place".\n`);
        return EXIT_OK;
      }
      const shown = values.all ? all : [...new Map(all.map((r) => [r.instance_id, r])).values()];
      io.out(table(RUN_HEAD, shown.map(runRow)));
      for (const c of changes) io.out(`  ${c.instance_id}@${c.node}: ${c.from} → ${c.to} (${c.reason})\n`);
      const lost = shown.filter((r) => r.status === 'lost');
      if (lost.length) io.out(`${lost.length} run(s) on unreachable nodes are shown as lost; they return to running when their node answers again.\n`);
      return EXIT_OK;
    } finally {
      await pool.closeAll();
    }
  },
};
