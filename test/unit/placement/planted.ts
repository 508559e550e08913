// Random placement inputs built around a plan that is KNOWN to be valid (for feasibility tests).
import type { PlacementInput } from '../../../src/core/placement';
import { DEFAULT_WEIGHTS } from '../../../src/core/config/schema';
import { inst, node } from './helpers';
import { mulberry32 } from '../../../src/core/random';


export interface Planted {
  input: PlacementInput;
  hidden: Record<string, string>;
}

/**
 * A random cluster and instances that fit a hidden plan: each instance is made for a node of that
 * plan (RAM from what is left there, GPU required only on GPU nodes, GPU memory within the node's,
 * anti-affinity only across nodes), until nodes are nearly full. Then the ids are shuffled.
 */
export function planted(seed: number, nInst: [number, number], nNodes: [number, number], opts: { pins?: boolean } = {}): Planted {
  const r = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const m = int(nNodes[0], nNodes[1]);
  const want = int(nInst[0], nInst[1]);
  const kinds = [
    { ram: 64, reserve: 8, gpu: true, gmem: 32, max: 6 },
    { ram: 32, reserve: 4, gpu: false, gmem: 0, max: 4 },
    { ram: 16, reserve: 2, gpu: true, gmem: 8, max: 3 },
    { ram: 8, reserve: 1, gpu: false, gmem: 0, max: 2 },
    { ram: 8, reserve: 1, gpu: false, gmem: 0, max: 1 },
  ];
  const nodes = Array.from({ length: m }, (_, k) => {
    const kd = kinds[int(0, kinds.length - 1)]!;
    return node({ name: `n${k}`, ram_gb: kd.ram, reserved_ram_gb: kd.reserve, gpu: kd.gpu, ...(kd.gpu ? { gpu_memory_gb: kd.gmem } : {}), max_instances: kd.max });
  });
  const left = nodes.map((n) => ({ ram: n.ram_gb - (n.reserved_ram_gb ?? 0), gmem: n.gpu_memory_gb ?? 0, slots: n.max_instances ?? 1 }));
  type Made = { id: string; node: number; o: Record<string, unknown> };
  const made: Made[] = [];
  for (let tries = 0; made.length < want && tries < want * 20; tries++) {
    const n = int(0, m - 1);
    const l = left[n]!;
    if (l.slots === 0 || l.ram < 1) continue;
    // Most instances take a big share of what is left: the plan is tight.
    const ram = l.slots === 1 ? l.ram : Math.max(1, Math.min(l.ram, Math.round(l.ram * (0.3 + r() * 0.5))));
    const o: Record<string, unknown> = { ram_gb: ram };
    if (nodes[n]!.gpu) {
      if (r() < 0.6) o.gpu_required = true;
      if (r() < 0.3) o.gpu_preferred = true;
      if (l.gmem >= 2 && r() < 0.5) o.gpu_memory_gb = Math.min(l.gmem, int(2, 12));
    }
    l.ram -= ram;
    l.slots--;
    l.gmem -= (o.gpu_memory_gb as number | undefined) ?? 0;
    made.push({ id: '', node: n, o });
  }
  // Shuffle, then name in that order, so file order says nothing about the hidden plan.
  for (let k = made.length - 1; k > 0; k--) {
    const j = int(0, k);
    [made[k], made[j]] = [made[j]!, made[k]!];
  }
  made.forEach((x, k) => (x.id = `i${k}`));
  for (const x of made) {
    const anti = made.filter((y) => y.node !== x.node && r() < 0.08).map((y) => y.id);
    const aff = made.filter((y) => y !== x && r() < 0.03).map((y) => y.id).filter((id) => !anti.includes(id));
    if (anti.length) x.o.anti_affinity = anti;
    if (aff.length) x.o.affinity = aff;
    if (r() < 0.15) x.o.preferred_node = `n${int(0, m - 1)}`;
  }
  const pins: Record<string, string> = {};
  if (opts.pins) for (const x of made) if (r() < 0.1) pins[x.id] = `n${x.node}`;
  const instances = made.map((x) => inst({ instance_id: x.id, ...x.o }));
  const hidden = Object.fromEntries(made.map((x) => [x.id, `n${x.node}`]));
  return { input: { nodes, instances, weights: DEFAULT_WEIGHTS, pins }, hidden };
}

