// Placement: 1,000 instances x 100 nodes (target < 100 ms), exact search on 12 x 5 with affinity
// and anti-affinity (target < 50 ms), and how both grow as the input doubles.
import type { BenchContext } from './run';
import { plan, type PlacementInput } from '../src/core/placement';
import { DEFAULT_WEIGHTS, instanceSchema, nodeSchema } from '../src/core/config/schema';

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cluster(nInst: number, nNodes: number, seed: number, links: boolean): PlacementInput {
  const r = rng(seed);
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

function time(inp: PlacementInput, reps: number, explanations = false): { ms: number; exact: boolean; placed: number } {
  let best = Infinity;
  let last = plan(inp, { explanations }); // warm-up
  for (let k = 0; k < reps; k++) {
    const t0 = performance.now();
    last = plan(inp, { explanations });
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, exact: last.exact, placed: last.placements.length };
}

export default async function (ctx: BenchContext): Promise<void> {
  // 1,000 x 100: about 70 % of the cluster's slots are asked for.
  const big = time(cluster(1000, 100, 1, true), 5);
  ctx.report('1000 instances x 100 nodes (heuristic)', big.ms, 'ms', `target < 100 ms; placed ${big.placed}, exact ${big.exact}`);
  const bigEx = time(cluster(1000, 100, 1, true), 3, true);
  ctx.report('1000 x 100 with all 100,000 explanations', bigEx.ms, 'ms', 'what `clusterlab plan` builds');
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
    const t = time(cluster(n, m, 3, true), 3);
    ctx.report(`growth ${n} x ${m}`, t.ms, 'ms', `exact ${t.exact}`);
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
