// clusterlab stop INSTANCE... | --all: SIGTERM to the run's process group, a grace period
// (run.stop_grace_seconds, or --grace), then SIGKILL.
import { EXIT_OK, EXIT_PROBLEM, UsageError, type CliCommand } from '../command';
import { CONNECT_HELP, CONNECT_OPTIONS } from '../connect';
import { describeError } from '../../core/errors';
import { describeStatus } from '../../core/runs/stateMachine';
import { openSession } from './runs-common';

export const stopCommand: CliCommand = {
  name: 'stop',
  summary: 'Stop runs: SIGTERM to the process group, then SIGKILL after the grace period',
  usage: ['stop INSTANCE_OR_RUN... [--grace S]', 'stop --all [--grace S]'],
  help: ['  --all       stop every live run', '  --grace S   seconds between SIGTERM and SIGKILL (default: run.stop_grace_seconds, 10)', CONNECT_HELP].join('\n'),
  options: { all: { type: 'boolean' }, grace: { type: 'string' }, ...CONNECT_OPTIONS },
  allowPositionals: true,
  async run(io, values, positionals) {
    if (!values.all && positionals.length === 0) throw new UsageError('name the instances to stop, or pass --all');
    if (values.all && positionals.length) throw new UsageError('give instance names or --all, not both');
    let grace: number | undefined;
    if (typeof values.grace === 'string') {
      grace = Number(values.grace);
      if (!Number.isFinite(grace) || grace < 0) throw new UsageError(`--grace must be a number of seconds, got "${values.grace}"`);
    }
    const opened = await openSession(io, values, []);
    if (typeof opened === 'number') return opened;
    const { session, pool } = opened;
    let failed = 0;
    try {
      await session.reconcile();
      if (values.all) {
        const { stopped, errors } = await session.stopAll(grace);
        if (!stopped.length && !errors.length) io.out('Nothing is running.\n');
        for (const r of stopped) io.out(`${r.instance_id}@${r.node}: ${describeStatus(r)}${r.transitions.at(-1)?.reason ? ` (${r.transitions.at(-1)?.reason})` : ''}\n`);
        for (const e of errors) io.err(`clusterlab stop: ${e.run.instance_id}@${e.run.node}: ${e.error}\n`);
        failed = errors.length;
      } else {
        for (const id of positionals) {
          try {
            const r = await session.stop(id, grace);
            io.out(`${r.instance_id}@${r.node}: ${describeStatus(r)}${r.transitions.at(-1)?.reason ? ` (${r.transitions.at(-1)?.reason})` : ''}\n`);
          } catch (e) {
            io.err(`clusterlab stop: ${describeError(e)}\n`);
            failed++;
          }
        }
      }
      return failed ? EXIT_PROBLEM : EXIT_OK;
    } finally {
      await pool.closeAll();
    }
  },
};
