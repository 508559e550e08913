// SSH connection layer vs OpenSSH, same sshd, same run:
//   warm exec: one `true` on the pooled ssh2 connection vs `ssh` through a ControlMaster socket
//   cold:      new pool + connect + `true` vs a fresh `ssh … true`
// On 127.0.0.1, and through a 20 ms RTT relay in a network namespace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from './run';
import { ConnectionPool } from '../src/remote/pool';
import { startSshNodes, type SshCluster, type SshTestNode } from '../test/harness/sshNodes';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(n: number, f: () => Promise<void> | void): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    out.push(performance.now() - t0);
  }
  return median(out);
}

function sshArgs(c: SshCluster, n: SshTestNode, extra: string[] = [], cmd: string[] = []): string[] {
  return ['-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${c.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes', '-i', c.clientKeyPath, '-p', String(n.port), '-l', c.userName, ...extra, n.host, ...cmd];
}

async function measure(ctx: BenchContext, label: string, c: SshCluster, warmN: number, coldN: number): Promise<void> {
  const n = c.nodes[0]!;
  const node = c.nodeConfig(n);
  const pool = new ConnectionPool({ ...c.poolOptions(), retries: 0 });
  const conn = await pool.get(node);
  for (let i = 0; i < 5; i++) await conn.exec('true');
  const warm = await timeIt(warmN, async () => {
    await conn.exec('true');
  });
  await pool.closeAll();

  const ctl = join(mkdtempSync(join(tmpdir(), 'cl-bench-')), 'ctl');
  const master = spawnSync('ssh', [...sshArgs(c, n, ['-o', 'ControlMaster=yes', '-o', `ControlPath=${ctl}`, '-o', 'ControlPersist=120', '-f', '-N'])], { encoding: 'utf8' });
  if (master.status !== 0) throw new Error(`ssh ControlMaster failed: ${master.stderr}`);
  try {
    for (let i = 0; i < 3; i++) spawnSync('ssh', sshArgs(c, n, ['-o', `ControlPath=${ctl}`], ['true']));
    const warmSsh = await timeIt(warmN, () => {
      const r = spawnSync('ssh', sshArgs(c, n, ['-o', `ControlPath=${ctl}`], ['true']));
      if (r.status !== 0) throw new Error(`ssh via ControlMaster failed: ${r.stderr.toString()}`);
    });
    ctx.report(`${label}: warm exec, pooled ssh2`, warm, 'ms');
    ctx.report(`${label}: warm exec, ssh ControlMaster`, warmSsh, 'ms', `ratio ${(warm / warmSsh).toFixed(2)}× of ssh`);
  } finally {
    spawnSync('ssh', sshArgs(c, n, ['-o', `ControlPath=${ctl}`, '-O', 'exit']));
  }

  const cold = await timeIt(coldN, async () => {
    const p = new ConnectionPool({ ...c.poolOptions(), retries: 0 });
    await (await p.get(node)).exec('true');
    await p.closeAll();
  });
  const coldSsh = await timeIt(coldN, () => {
    const r = spawnSync('ssh', sshArgs(c, n, [], ['true']));
    if (r.status !== 0) throw new Error(`ssh failed: ${r.stderr.toString()}`);
  });
  ctx.report(`${label}: cold connect + true, ssh2 pool`, cold, 'ms');
  ctx.report(`${label}: cold ssh … true`, coldSsh, 'ms', `ratio ${(cold / coldSsh).toFixed(2)}× of ssh`);
}

export default async function (ctx: BenchContext): Promise<void> {
  const local = await startSshNodes({ count: 1 });
  try {
    await measure(ctx, 'loopback', local, 50, 10);
  } finally {
    await local.stop();
  }
  const far = await startSshNodes({ count: 1, namespaces: true, relayDelayMs: 10 });
  try {
    await measure(ctx, '20 ms RTT', far, 20, 6);
  } finally {
    await far.stop();
  }
}
