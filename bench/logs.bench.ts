// Log throughput through the follower (lines/s, batches delivered), locally and over a real
// sshd, with the event-loop delay measured while it runs (perf_hooks.monitorEventLoopDelay).
// Reference: OpenSSH `ssh node cat FILE | wc -l` for the same file in the same run.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BenchContext } from './run';
import type { NodeConnection } from '../src/remote/connection';
import { LocalConnection } from '../src/remote/local';
import { LogFollower } from '../src/remote/logs/follower';
import { ConnectionPool } from '../src/remote/pool';
import { startSshNodes } from '../test/harness/sshNodes';

const LINES = 1_000_000;

function makeLog(path: string): number {
  const parts: string[] = [];
  for (let i = 0; i < LINES; i++) parts.push(`2025-01-01T00:00:00Z step ${i} loss=0.${(i * 7919) % 100000} lr=3e-4\n`);
  const text = parts.join('');
  writeFileSync(path, text);
  chmodSync(path, 0o644);
  return Buffer.byteLength(text);
}

async function measure(ctx: BenchContext, label: string, path: string, connect: () => Promise<NodeConnection>): Promise<void> {
  let lines = 0;
  let batches = 0;
  const h = monitorEventLoopDelay({ resolution: 10 });
  // A timer that must keep firing while lines stream in: proves the loop is not blocked.
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  h.enable();
  const t0 = performance.now();
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const f = new LogFollower({
    node: label,
    path,
    connect,
    onLines: (b) => {
      lines += b.lines.length;
      batches++;
      if (lines >= LINES) done();
    },
  });
  const loop = f.start();
  await all;
  const secs = (performance.now() - t0) / 1000;
  h.disable();
  clearInterval(ticker);
  await f.stop();
  await loop;
  ctx.report(`${label}: follow ${LINES} lines`, Math.round(LINES / secs), 'lines/s', `${secs.toFixed(2)} s, ${batches} batches`);
  ctx.report(`${label}: event-loop delay p99 while following`, h.percentile(99) / 1e6, 'ms', `max ${(h.max / 1e6).toFixed(1)} ms, 10 ms timer fired ${ticks}× in ${secs.toFixed(2)} s`);
}

export default async function bench(ctx: BenchContext): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cl-logs-bench-'));
  chmodSync(dir, 0o755);
  const path = join(dir, 'run.log');
  const bytes = makeLog(path);
  ctx.report('log file', bytes / 1024 / 1024, 'MB', `${LINES} lines`);
  try {
    const local = new LocalConnection('local');
    await measure(ctx, 'local', path, async () => local);
    const cluster = await startSshNodes({ count: 1 });
    const pool = new ConnectionPool({ ...cluster.poolOptions(), retries: 0 });
    try {
      const node = cluster.nodes[0]!;
      await pool.get(cluster.nodeConfig(node));
      await measure(ctx, 'ssh', path, () => pool.get(cluster.nodeConfig(node)));
      const t0 = performance.now();
      const r = spawnSync('sh', ['-c', `ssh -F '${cluster.sshConfigPath}' -o BatchMode=yes -o UserKnownHostsFile='${cluster.knownHostsPath}' ${node.name} cat '${path}' | wc -l`], { encoding: 'utf8' });
      const secs = (performance.now() - t0) / 1000;
      if (r.status === 0 && Number(r.stdout.trim()) === LINES) {
        ctx.report('reference: OpenSSH `ssh node cat FILE | wc -l`', Math.round(LINES / secs), 'lines/s', `${secs.toFixed(2)} s including connect`);
      } else {
        ctx.report('reference: OpenSSH ssh cat (failed)', 0, '', (r.stderr || r.stdout).trim().slice(0, 200));
      }
    } finally {
      await pool.closeAll();
      await cluster.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
