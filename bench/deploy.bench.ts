// Deploy benchmark: 10,000 small files plus three 10 MB files to a real sshd in its own network
// namespace behind a 20 ms RTT relay, against `rsync -az --delete` over OpenSSH to the same sshd
// in the same run. Cases: first sync, nothing changed, one file changed. Each of our runs opens a
// fresh connection (connect time included, as rsync's includes ssh's).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from './run';
import { startSshNodes } from '../test/harness/sshNodes';
import { ConnectionPool } from '../src/remote/pool';
import { deployAll } from '../src/remote/sync/deploy-all';

const SMALL_FILES = 10_000;
const BIG_FILES = 3;
const RTT_ONE_WAY_MS = 10;

/** Deterministic pseudo-random bytes (sha256 counter mode): incompressible, like real binaries. */
function bytes(seed: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let off = 0, i = 0; off < n; i++) off += createHash('sha256').update(`${seed}:${i}`).digest().copy(out, off);
  return out;
}

function generate(src: string): void {
  for (let d = 0; d < 100; d++) {
    const dir = join(src, `pkg${d}`, `mod${d % 7}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < SMALL_FILES / 100; f++) {
      // Source-like text, 200 B – 4 KB.
      const len = 200 + ((d * 131 + f * 71) % 3900);
      const line = `def f_${d}_${f}(x):\n    return x * ${d + f} + ${f}  # padding padding\n`;
      writeFileSync(join(dir, `file_${f}.py`), line.repeat(Math.ceil(len / line.length)).slice(0, len));
    }
  }
  mkdirSync(join(src, 'models'), { recursive: true });
  for (let i = 0; i < BIG_FILES; i++) writeFileSync(join(src, 'models', `weights_${i}.bin`), bytes(`big${i}`, 10 * 1024 * 1024));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export default async function run(ctx: BenchContext): Promise<void> {
  const root = `/tmp/clusterlab-bench-deploy-${process.pid}`;
  const src = join(root, 'src');
  const remote = join(root, 'remote');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  mkdirSync(remote, { recursive: true });
  const cluster = await startSshNodes({ count: 1, namespaces: true, relayDelayMs: RTT_ONE_WAY_MS });
  try {
    spawnSync('chmod', ['755', root]);
    spawnSync('chown', [cluster.userName, remote]);
    const node = cluster.nodes[0];
    if (!node) throw new Error('no node');
    const t0 = Date.now();
    generate(src);
    ctx.report('generate 10,000 small + 3 × 10 MB files', (Date.now() - t0) / 1000, 's');

    const ours = join(remote, 'ours');
    const theirs = join(remote, 'rsync');
    const rsync = (): number => {
      const t = process.hrtime.bigint();
      const ssh = `ssh -F ${cluster.sshConfigPath} -o UserKnownHostsFile=${cluster.knownHostsPath} -o StrictHostKeyChecking=yes -o BatchMode=yes`;
      const r = spawnSync('rsync', ['-az', '--delete', '-e', ssh, `${src}/`, `${node.name}:${theirs}/`], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`rsync failed (exit ${r.status}): ${r.stderr}`);
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    // Through deployAll, as `clusterlab deploy` runs it: the source is walked while the node
    // is being reached.
    const clusterlab = async (): Promise<{ ms: number; sent: number; phases: string }> => {
      const t = process.hrtime.bigint();
      const pool = new ConnectionPool(cluster.poolOptions());
      try {
        const phases: string[] = [];
        let phase = 'connect';
        let since = Date.now();
        const { outcomes } = await deployAll([{ node: cluster.nodeConfig(node), remoteDir: ours }], pool, {
          sourceDir: src,
          onProgress: (p) => {
            if (p.phase === phase) return;
            phases.push(`${phase} ${Date.now() - since}`);
            phase = p.phase;
            since = Date.now();
          },
        });
        const o = outcomes[0];
        if (o?.status !== 'deployed') throw new Error(`deploy failed: ${JSON.stringify(o)}`);
        return { ms: Number(process.hrtime.bigint() - t) / 1e6, sent: o.result.filesSent, phases: `ms: ${phases.join(', ')}` };
      } finally {
        await pool.closeAll();
      }
    };
    const compare = (name: string, oursMs: number, rsyncMs: number, target: number, phases = '') => {
      const ratio = oursMs / rsyncMs;
      ctx.report(`${name}: clusterlab`, oursMs, 'ms', phases);
      ctx.report(`${name}: rsync -az --delete`, rsyncMs, 'ms');
      ctx.report(`${name}: ratio`, ratio, '×', `target ≤ ${target}× ${ratio <= target ? 'OK' : 'MISSED'}`);
    };

    // First sync: empty targets, cold local hash cache. Three runs each in the order ours,
    // rsync, rsync, ours, ours, rsync, so that neither tool always runs on a cooler machine
    // (file creation speed on this shared disk drifts by several times within a minute).
    ctx.report('load average (1 min) before', loadavg()[0] as number, '');
    const oursFirst: number[] = [];
    const rsyncFirst: number[] = [];
    let firstPhases = '';
    const oursFresh = async () => {
      rmSync(ours, { recursive: true, force: true });
      rmSync(join(src, '.clusterlab'), { recursive: true, force: true });
      const r = await clusterlab();
      if (r.sent !== SMALL_FILES + BIG_FILES) throw new Error(`first sync sent ${r.sent} files, expected ${SMALL_FILES + BIG_FILES}`);
      oursFirst.push(r.ms);
      firstPhases = r.phases;
    };
    const rsyncFresh = () => {
      rmSync(theirs, { recursive: true, force: true });
      rsyncFirst.push(rsync());
    };
    for (const who of ['ours', 'rsync', 'rsync', 'ours', 'ours', 'rsync']) {
      if (who === 'ours') await oursFresh();
      else rsyncFresh();
    }
    compare('first sync (median of 3)', median(oursFirst), median(rsyncFirst), 1.0, `${firstPhases}; runs ours ${oursFirst.map(Math.round).join('/')} rsync ${rsyncFirst.map(Math.round).join('/')}`);
    const same = spawnSync('diff', ['-r', '-q', '-x', '.clusterlab', src, ours]);
    if (same.status !== 0) throw new Error(`target differs from source: ${same.stdout.toString().slice(0, 300)}`);

    let lastPhases = '';
    const oursNoop: number[] = [];
    const rsyncNoop: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await clusterlab();
      if (r.sent !== 0) throw new Error(`nothing-changed sync sent ${r.sent} files`);
      oursNoop.push(r.ms);
      lastPhases = r.phases;
      rsyncNoop.push(rsync());
    }
    compare('nothing changed (median of 3)', median(oursNoop), median(rsyncNoop), 0.5, lastPhases);

    const oursOne: number[] = [];
    const rsyncOne: number[] = [];
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(src, 'pkg42', 'mod0', 'file_7.py'), `# edit ${i}\nprint(${i})\n`);
      const r = await clusterlab();
      if (r.sent !== 1) throw new Error(`one-file sync sent ${r.sent} files`);
      oursOne.push(r.ms);
      lastPhases = r.phases;
      rsyncOne.push(rsync());
    }
    compare('one file changed (median of 3)', median(oursOne), median(rsyncOne), 0.5, lastPhases);
    ctx.report('load average (1 min) after', loadavg()[0] as number, '');
  } finally {
    await cluster.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
