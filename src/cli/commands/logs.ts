// clusterlab logs INSTANCE [-f] [--tail N]: the output of an instance's newest run; with -f keep
// following (resuming after connection drops) until the run ends.
// clusterlab logs --fetch DIR [--node N]: copy every node's logs/*.log to DIR/<node>/.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EXIT_OK, EXIT_PROBLEM, UsageError, type CliCommand, type CliIO } from '../command';
import { CONNECT_HELP, CONNECT_OPTIONS } from '../connect';
import { ClusterLabError, describeError } from '../../core/errors';
import { isTerminal, describeStatus } from '../../core/runs/stateMachine';
import { sh } from '../../core/shell';
import type { ClusterSession } from '../../remote/session';
import { openSession } from './runs-common';
import { sleepUnlessAborted } from '../sleep';

export const logsCommand: CliCommand = {
  name: 'logs',
  summary: "Show or follow an instance's log, or fetch every node's logs",
  usage: ['logs INSTANCE [-f] [--tail N]', 'logs --fetch DIR [--node NODE]'],
  help: [
    '  -f, --follow    keep printing new lines until the run ends (resumes after connection drops)',
    '  --tail N        start with the last N lines',
    '  --fetch DIR     copy logs/*.log of every node to DIR/<node>/',
    '  --node NODE     with --fetch: only this node',
    CONNECT_HELP,
  ].join('\n'),
  options: { follow: { type: 'boolean', short: 'f' }, tail: { type: 'string' }, fetch: { type: 'string' }, node: { type: 'string' }, ...CONNECT_OPTIONS },
  allowPositionals: true,
  async run(io, values, positionals) {
    if (typeof values.fetch === 'string') {
      if (positionals.length) throw new UsageError('--fetch copies every log; do not name an instance with it');
      const opened = await openSession(io, values, []);
      if (typeof opened === 'number') return opened;
      try {
        return await fetchLogs(io, opened.session, resolve(io.cwd, values.fetch), typeof values.node === 'string' ? values.node : undefined);
      } finally {
        await opened.pool.closeAll();
      }
    }
    if (positionals.length !== 1) throw new UsageError('name one instance (or use --fetch DIR)');
    let tail: number | undefined;
    if (typeof values.tail === 'string') {
      tail = Number(values.tail);
      if (!Number.isInteger(tail) || tail < 0) throw new UsageError(`--tail must be a whole number of lines, got "${values.tail}"`);
    }
    const instance = positionals[0] as string;
    const opened = await openSession(io, values, []);
    if (typeof opened === 'number') return opened;
    const { session, pool } = opened;
    try {
      const runs = (await session.store.list()).filter((r) => r.instance_id === instance || r.run_id === instance);
      let run = runs[runs.length - 1];
      if (!run) {
        throw new ClusterLabError('logs.unknown_instance', `no run of ${instance} is known in ${session.store.dir}`, 'Check the instance id with "clusterlab status"', { kind: 'none' });
      }
      await session.reconcile([run]);
      run = (await session.store.get(run.run_id)) ?? run;
      const follow = values.follow === true && !isTerminal(run.status);
      let exitCode = EXIT_OK;
      const f = session.followLogs(
        run,
        (b) => io.out(b.lines.join('\n') + '\n'),
        {
          follow,
          ...(tail !== undefined ? { lastLines: tail } : {}),
          onNotice: (n) => {
            io.err(`clusterlab logs: ${n.message}\n`);
            if (n.kind === 'waiting' && !follow) exitCode = EXIT_PROBLEM;
          },
        },
      );
      const done = f.start();
      if (!follow) {
        await done;
        const last = f.offset;
        void last;
        if (values.follow === true) io.err(`clusterlab logs: ${run.instance_id}@${run.node} already ended: ${describeStatus(run)}\n`);
        return exitCode;
      }
      const onAbort = () => void f.stop();
      io.signal.addEventListener('abort', onAbort, { once: true });
      while (!io.signal.aborted) {
        await sleepUnlessAborted(1000, io.signal);
        if (io.signal.aborted) break;
        await session.reconcile([run]);
        run = (await session.store.get(run.run_id)) ?? run;
        if (isTerminal(run.status)) {
          await f.drain(5000);
          io.err(`clusterlab logs: ${run.instance_id}@${run.node} ${describeStatus(run)}\n`);
          break;
        }
      }
      io.signal.removeEventListener('abort', onAbort);
      await f.stop();
      return exitCode;
    } finally {
      await pool.closeAll();
    }
  },
};


/** Copy <work dir>/logs/*.log of every node (in parallel) to DIR/<node>/. */
async function fetchLogs(io: CliIO, session: ClusterSession, dir: string, only?: string): Promise<number> {
  const nodes = session.cluster.nodes.filter((n) => !only || n.name === only);
  if (only && !nodes.length) session.node(only);
  let failed = 0;
  await Promise.all(
    nodes.map(async (n) => {
      try {
        const conn = await session.opts.connections.get(n);
        const work = await session.workDir(n.name, conn);
        const r = await conn.exec(sh`cd ${work + '/logs'} 2>/dev/null || exit 0; for f in *.log; do [ -f "$f" ] && printf '%s\\0' "$f"; done; exit 0`, { timeoutMs: 30_000 });
        const names = r.stdout.toString('utf8').split('\0').filter((x) => x && !x.includes('/'));
        const dest = join(dir, n.name);
        await mkdir(dest, { recursive: true });
        let bytes = 0;
        for (const name of names) {
          const data = await conn.readFile(`${work}/logs/${name}`);
          bytes += data.length;
          await writeFile(join(dest, name), data);
        }
        io.out(`${n.name}: ${names.length} log file(s), ${formatBytes(bytes)} → ${dest}\n`);
      } catch (e) {
        failed++;
        io.err(`clusterlab logs --fetch: node ${n.name}: ${describeError(e).replace(/^node \S+: /, '')}\n`);
      }
    }),
  );
  return failed ? EXIT_PROBLEM : EXIT_OK;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
