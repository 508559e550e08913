// Placement: 1,000 instances x 100 nodes with explanations (target < 100 ms), the CLI wall time, exact search on 12 x 5 with affinity
// and anti-affinity (target < 50 ms), and how both grow as the input doubles.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from './run';
import { plan, type PlacementInput } from '../src/core/placement';
import { DEFAULT_WEIGHTS, instanceSchema, nodeSchema } from '../src/core/config/schema';
import { mulberry32 } from '../src/core/random';


function cluster(nInst: number, nNodes: number, seed: number, links: boolean): PlacementInput {
  const r = mulberry32(seed);
  const nodes = Array.from({ length: nNodes }, (_, k) => {
    // Scaled so that about 80 % of the slots are asked for: per 5 nodes, a GPU box for 16, two
    // servers for 16, two Pis for 1.
    const kind = k % 5;
    const big = Math.max(1, Math.round((nInst / nNodes) * 1.25 * 5 / 3.5 / 2) * 2);
    if (kind === 0) return nodeSchema.parse({ name: `gpu${k}`, ram_gb: 8 * big, gpu: true, gpu_memory_gb: 4 * big, max_instances: big, reserved_ram_gb: 8 });
    if (kind === 1 || kind === 2) return nodeSchema.parse({ name: `server${k}`, ram_gb: 6 * big, max_instances: big, reserved_ram_gb: 4 });
    return nodeSchema.parse({ name: `rpi${k}`, ram_gb: 8, max_instances: 1, reserved_ram_gb: 1 });
  });
  const instances = Array.from({ length: nInst }, (_, k) => {
    const gpu = r() < 0.25;
    const o: Record<string, unknown> = { instance_id: `i${k}`, ram_gb: gpu ? 4 + Math.floor(r() * 10) : 1 + Math.floor(r() * 5), gpu_required: gpu && r() < 0.5, gpu_preferred: gpu };
    if (links && k > 0 && r() < 0.3) o.affinity = [`i${Math.floor(r() * k)}`];
    if (links && k > 0 && r() < 0.3) o.anti_affinity = [`i${Math.floor(r() * k)}`];
    return instanceSchema.parse(o);
  });
  return { nodes, instances, weights: DEFAULT_WEIGHTS };
}

function time(inp: PlacementInput, reps: number, explanations = false, json = false): { ms: number; exact: boolean; placed: number; bytes: number } {
  let best = Infinity;
  let last = plan(inp, { explanations }); // warm-up
  let bytes = 0;
  for (let k = 0; k < reps; k++) {
    const t0 = performance.now();
    last = plan(inp, { explanations });
    if (json) bytes = JSON.stringify(last).length;
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, exact: last.exact, placed: last.placements.length, bytes };
}

/** The bench input as cluster.yaml + experiments.yaml (block YAML), for the CLI. */
function writeYaml(inp: PlacementInput, dir: string): void {
  const node = (n: PlacementInput['nodes'][number]) =>
    [`  - name: ${n.name}`, `    type: ${n.gpu ? 'jetson_orin' : 'host'}`, `    host: ${n.name}.local`, `    ram_gb: ${n.ram_gb}`, `    gpu: ${n.gpu}`, ...(n.gpu_memory_gb ? [`    gpu_memory_gb: ${n.gpu_memory_gb}`] : []), `    max_instances: ${n.max_instances}`, `    reserved_ram_gb: ${n.reserved_ram_gb}`].join('\n');
  writeFileSync(join(dir, 'cluster.yaml'), `cluster:\n  name: bench\nnodes:\n${inp.nodes.map(node).join('\n')}\n`);
  const inst = (i: PlacementInput['instances'][number]) => {
    // The config validator refuses an id listed in both affinity and anti_affinity.
    const anti = (i.anti_affinity ?? []).filter((x) => !(i.affinity ?? []).includes(x));
    return [`  - instance_id: ${i.instance_id}`, `    ram_gb: ${i.ram_gb}`, `    gpu_required: ${i.gpu_required}`, `    gpu_preferred: ${i.gpu_preferred}`, ...(i.affinity?.length ? [`    affinity: [${i.affinity.join(', ')}]`] : []), ...(anti.length ? [`    anti_affinity: [${anti.join(', ')}]`] : [])].join('\n');
  };
  writeFileSync(join(dir, 'experiments.yaml'), `name: bench\ninstances:\n${inp.instances.map(inst).join('\n')}\n`);
}

function wall(args: string[], reps: number): number {
  let best = Infinity;
  for (let k = 0; k < reps; k++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
    const ms = performance.now() - t0;
    if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    best = Math.min(best, ms);
  }
  return best;
}

export default async function (ctx: BenchContext): Promise<void> {
  // 1,000 x 100: about 80 % of the cluster's slots are asked for.
  const bigInput = cluster(1000, 100, 1, true);
  const big = time(bigInput, 5);
  ctx.report('1000 instances x 100 nodes (search only)', big.ms, 'ms', `placed ${big.placed}, exact ${big.exact}`);
  const bigEx = time(bigInput, 5, true);
  ctx.report('1000 x 100 plan + explanations', bigEx.ms, 'ms', 'target < 100 ms: what `clusterlab plan` computes');
  const bigJson = time(bigInput, 5, true, true);
  ctx.report('1000 x 100 plan + explanations + JSON text', bigJson.ms, 'ms', `${(bigJson.bytes / 1e6).toFixed(1)} MB of JSON`);
  const cli = join(__dirname, '../dist/cli.js');
  if (existsSync(cli)) {
    const dir = mkdtempSync(join(tmpdir(), 'clusterlab-bench-plan-'));
    try {
      writeYaml(bigInput, dir);
      const node0 = wall(['-e', ''], 3);
      const ms = wall([cli, 'plan', '--cluster', join(dir, 'cluster.yaml'), '--experiments', join(dir, 'experiments.yaml'), '--json'], 3);
      ctx.report('1000 x 100 `clusterlab plan --json` wall time', ms, 'ms', `whole process: node start ${node0.toFixed(0)} ms, load + validate the YAML, plan, print`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    ctx.report('1000 x 100 `clusterlab plan --json` wall time', NaN, 'ms', 'skipped: run npm run build first');
  }
  // Exact: 12 instances on the seed-like 5 nodes, with affinity and anti-affinity.
  const small = time(cluster(12, 5, 2, true), 20, true);
  ctx.report('12 instances x 5 nodes (exact, affinity)', small.ms, 'ms', `target < 50 ms; placed ${small.placed}, exact ${small.exact}`);
  // Growth as the input doubles.
  for (const [n, m] of [
    [250, 25],
    [500, 50],
    [1000, 100],
    [2000, 200],
  ] as const) {
    const t = time(cluster(n, m, 3, true), 3, true);
    ctx.report(`growth ${n} x ${m} (plan + explanations)`, t.ms, 'ms', `exact ${t.exact}`);
  }
  for (const [n, m] of [
    [6, 3],
    [12, 5],
    [24, 10],
  ] as const) {
    const t = time(cluster(n, m, 4, true), 5);
    ctx.report(`exact growth ${n} x ${m}`, t.ms, 'ms', `exact ${t.exact}`);
  }
}
