// Health check of 10 nodes in network namespaces at 20 ms RTT (harness relay), against
// parallel-ssh (Debian pssh) running the same probe script through OpenSSH, in the same run.
//   targets: cold check of all 10 <= 1.3x one node's cold check, and <= 0.7x parallel-ssh;
//            warm check <= 3 RTT + the probe's own time.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from './run';
import { nodeYaml, startSshNodes } from '../test/harness/sshNodes';
import { ConnectionPool } from '../src/remote/pool';
import { checkAll } from '../src/remote/healthCheck';
import { buildProbeScript, probeCommand } from '../src/remote/probe';

const RTT_MS = 20;
const CLI = join(__dirname, '..', 'dist', 'cli.js');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** CPU time (ms) of these processes and of their children they reaped, from /proc (10 ms ticks). */
function cpuTicksMs(pids: number[]): number {
  let ticks = 0;
  for (const p of pids) {
    try {
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // exited
    }
  }
  return ticks * 10;
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export default async function bench(ctx: BenchContext): Promise<void> {
  const load0 = loadavg();
  const cluster = await startSshNodes({ count: 10, namespaces: true, relayDelayMs: RTT_MS / 2 });
  const tmp = mkdtempSync(join(tmpdir(), 'clusterlab-bench-health-'));
  const env = { ...process.env, SSH_AUTH_SOCK: '' };
  try {
    const nodes = cluster.nodes.map((n) => cluster.nodeConfig(n, { remote_work_dir: '~' }));
    const opts = { timeoutMs: 15000, concurrency: 16 };
    const check = async (pool: ConnectionPool, ns = nodes) => {
      const r = await checkAll(ns, pool, opts);
      const bad = r.filter((h) => h.status !== 'healthy');
      if (bad.length) throw new Error(`unexpected: ${bad.map((h) => `${h.name} ${h.status} ${h.reason}`).join('; ')}`);
    };

    // Warm-up of the machine (sshd, page cache), not counted.
    {
      const p = new ConnectionPool(cluster.poolOptions());
      await check(p);
      await p.closeAll();
    }
    const ROUNDS = 7;
    const oneCold: number[] = [];
    const allCold: number[] = [];
    // CPU of one cold 10-node check, split into this client and the simulated nodes (sshd
    // sessions, probe scripts and relays), which all share this machine's cores.
    const nodePids = cluster.nodes.flatMap((n) => n.pids());
    const clientCpu: number[] = [];
    let nodeCpuMs = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const p1 = new ConnectionPool(cluster.poolOptions());
      oneCold.push(await timeIt(() => check(p1, [nodes[i % nodes.length]!])));
      await p1.closeAll();
      const p10 = new ConnectionPool(cluster.poolOptions());
      const before = cpuTicksMs(nodePids);
      const c0 = process.cpuUsage();
      allCold.push(await timeIt(() => check(p10)));
      const c = process.cpuUsage(c0);
      clientCpu.push((c.user + c.system) / 1000);
      await p10.closeAll();
      await new Promise((r) => setTimeout(r, 100)); // let sshd reap its sessions
      nodeCpuMs += cpuTicksMs(nodePids) - before;
    }
    const pool = new ConnectionPool(cluster.poolOptions());
    await check(pool);
    const warm: number[] = [];
    for (let i = 0; i < 10; i++) warm.push(await timeIt(() => check(pool)));

    // The probe's own time: the same script run locally, 100 times in a shell loop (no node spawn
    // overhead), alone (`sh -c SCRIPT`) and as sshd runs it (the login shell bash -c COMMAND).
    const script = buildProbeScript('~');
    const probeLoop = (argv: string[]) => {
      const loop = 'i=0; while [ $i -lt 100 ]; do "$@" >/dev/null 2>&1; i=$((i+1)); done';
      const c0 = cpuTicksMs([process.pid]);
      const u0 = process.cpuUsage();
      const t = performance.now();
      spawnSync('sh', ['-c', loop, 'loop', ...argv]);
      const wall = (performance.now() - t) / 100;
      const u = process.cpuUsage(u0);
      const cpu = (cpuTicksMs([process.pid]) - c0 - (u.user + u.system) / 1000) / 100;
      return { wall, cpu };
    };
    const own = probeLoop(['sh', '-c', script]);
    const ownAsSshd = probeLoop(['bash', '-c', probeCommand('~')]);

    // The same, 10 scripts at once on this machine (the 10 nodes share its cores).
    const own10: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await Promise.all(nodes.map(() => new Promise<void>((res) => spawn('sh', ['-c', script], { stdio: 'ignore' }).on('close', () => res()))));
      own10.push(performance.now() - t);
    }

    // Single warm exec through the pool vs ssh with ControlMaster.
    const conn = await pool.get(nodes[0]!);
    const warmExec: number[] = [];
    for (let i = 0; i < 10; i++) warmExec.push(await timeIt(() => conn.exec('true')));
    await pool.closeAll();

    const sshBase = ['-F', cluster.sshConfigPath, '-o', `UserKnownHostsFile=${cluster.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'];
    const cm = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${join(tmp, 'cm-%C')}`, '-o', 'ControlPersist=60'];
    spawnSync('ssh', [...sshBase, ...cm, nodes[0]!.name, 'true'], { env });
    const cmExec: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      const r = spawnSync('ssh', [...sshBase, ...cm, cluster.nodes[0]!.name, 'true'], { env });
      if (r.status !== 0) throw new Error(`ssh ControlMaster failed: ${r.stderr.toString()}`);
      cmExec.push(performance.now() - t);
    }
    spawnSync('ssh', [...sshBase, ...cm, '-O', 'exit', cluster.nodes[0]!.name], { env });

    // parallel-ssh with the same probe command.
    const hosts = join(tmp, 'hosts');
    writeFileSync(hosts, cluster.nodes.map((n) => n.name).join('\n') + '\n');
    const psshArgs = ['-h', hosts, '-p', '32', '-t', '30', '-x', sshBase.join(' '), '-o', join(tmp, 'out'), probeCommand('~')];
    const pssh: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = spawnSync('parallel-ssh', psshArgs, { env });
      if (r.status !== 0) throw new Error(`parallel-ssh failed: ${r.stdout.toString()}${r.stderr.toString()}`);
      pssh.push(performance.now() - t);
    }

    // The same cold check as a user runs it, and as parallel-ssh is measured: a whole
    // `clusterlab health --json` process (Node start-up, bundle, config, connect, probe, exit),
    // for one node of the cluster file (`--node`) and for all 10.
    const clusterFile = join(tmp, 'cluster.yaml');
    writeFileSync(
      clusterFile,
      ['cluster:', '  name: bench', 'nodes:', ...cluster.nodes.flatMap((n) => nodeYaml(n, { ram_gb: 1, remote_work_dir: '~' })), ''].join('\n'),
    );
    const cliArgs = [CLI, 'health', '--json', '--cluster', clusterFile, '--known-hosts', cluster.knownHostsPath, '--ssh-config', cluster.sshConfigPath];
    const runCli = (extra: string[]) => {
      const t = performance.now();
      const r = spawnSync(process.execPath, [...cliArgs, ...extra], { env, encoding: 'utf8' });
      const ms = performance.now() - t;
      if (r.status !== 0) throw new Error(`clusterlab health failed (${r.status}): ${r.stdout}${r.stderr}`);
      return ms;
    };
    runCli([]);
    const cliOne: number[] = [];
    const cliAll: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      cliOne.push(runCli(['--node', cluster.nodes[i % cluster.nodes.length]!.name]));
      cliAll.push(runCli([]));
    }

    const one = median(oneCold);
    const all = median(allCold);
    const w = median(warm);
    const ps = median(pssh);
    ctx.report('cold check, 1 node (20 ms RTT)', one, 'ms');
    ctx.report('cold check, 10 nodes (20 ms RTT)', all, 'ms', `${(all / one).toFixed(2)}x one node (target <= 1.3x)`);
    ctx.report('parallel-ssh, same probe, 10 nodes', ps, 'ms', `clusterlab ${(all / ps).toFixed(2)}x parallel-ssh (target <= 0.7x)`);
    const c1 = median(cliOne);
    const c10 = median(cliAll);
    ctx.report('`clusterlab health --json`, 1 node (whole command)', c1, 'ms');
    ctx.report('`clusterlab health --json`, 10 nodes (whole command)', c10, 'ms', `${(c10 / c1).toFixed(2)}x one node (target <= 1.3x); ${(c10 / ps).toFixed(2)}x parallel-ssh (target <= 0.7x)`);
    const probe10 = median(own10);
    ctx.report('  client CPU in one cold 10-node check', median(clientCpu), 'ms');
    ctx.report('  node-side CPU (sshd, probe, relay) per check', nodeCpuMs / ROUNDS, 'ms', `same ${cpus().length} cores as the client: bounds the 10-node ratio`);
    ctx.report('warm check, 10 nodes', w, 'ms', `target <= 3 RTT + probe (10 at once here) = ${(3 * RTT_MS + probe10).toFixed(0)} ms`);
    ctx.report('probe script own time, 1 (local sh, 100 runs)', own.wall, 'ms', `CPU ${own.cpu.toFixed(2)} ms per run`);
    ctx.report('  as sshd runs it (bash -c COMMAND)', ownAsSshd.wall, 'ms', `CPU ${ownAsSshd.cpu.toFixed(2)} ms per run`);
    ctx.report('probe script own time, 10 at once (local sh)', probe10, 'ms');
    ctx.report('warm exec `true` (pooled ssh2)', median(warmExec), 'ms', `ssh ControlMaster: ${median(cmExec).toFixed(1)} ms`);
    // Other work on this machine skews every figure above: say how busy it was.
    const load1 = loadavg();
    ctx.report('load average (1 min) at the end', load1[0]!, '', `at the start ${load0[0]!.toFixed(2)}; ${cpus().length} cores shared with other work`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    await cluster.stop();
  }
}
