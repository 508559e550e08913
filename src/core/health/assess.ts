// Judging a node from its measurements and its config. Pure.
//
// Statuses, in order of precedence:
//   maintenance  `status: maintenance` in the config, or an override set by a command. The node is
//                still probed when it can be, so its figures stay visible.
//   unavailable  the node could not be reached (connect/auth/host key failed or timed out).
//   degraded     the node answered, but
//                  - more than 90% of its RAM is in use (MemTotal - MemAvailable), or
//                  - the work dir's disk has less than 5% or less than 1 GB free, or
//                  - the probe itself failed (reason "probe failed: ..."): the node is reachable,
//                    so it is not unavailable, but nothing it reports can be trusted. Placement
//                    treats degraded nodes with care; the reason tells the user what broke.
//   healthy      everything else.
// Warnings (status unchanged) when the node reports less than its config declares: RAM below
// 90% of ram_gb (MemTotal is always a little under the nominal size), another architecture than
// its type implies, no GPU although `gpu: true`, fewer CPUs than cpu_cores.
import type { NodeConfig } from '../config/schema';
import { kbToGb } from './parsers';
import type { NodeHealth, ProbeMeasurements } from './types';

export interface AssessOptions {
  /** Maintenance set by a command (node name -> reason), on top of the config's status. */
  overrides?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Host as shown to the user (defaults to node.host, or "localhost" for type: host). */
  host?: string;
  probedAt?: Date;
  latencyMs?: number;
  connectMs?: number;
  /** Exit code of the probe script (non-zero means the probe failed). */
  exitCode?: number | null;
  /** stderr of the probe script, for the failure reason. */
  stderr?: string;
  ramDegradedPercent?: number;
  diskMinFreePercent?: number;
  diskMinFreeGb?: number;
  /** Reported RAM may be this fraction below ram_gb before a warning (default 0.10). */
  ramSlack?: number;
}

export const DEFAULT_RAM_DEGRADED_PERCENT = 90;
export const DEFAULT_DISK_MIN_FREE_PERCENT = 5;
export const DEFAULT_DISK_MIN_FREE_GB = 1;

const EXPECTED_ARCH: Partial<Record<NodeConfig['type'], string[]>> = {
  jetson_orin: ['aarch64', 'arm64'],
  raspberry_pi: ['aarch64', 'arm64'],
};

export function displayHost(node: NodeConfig): string {
  return node.host ?? (node.type === 'host' ? 'localhost' : '');
}

export function maintenanceReason(node: NodeConfig, overrides?: AssessOptions['overrides']): string | undefined {
  const o = overrides instanceof Map ? overrides.get(node.name) : overrides ? (overrides as Record<string, string>)[node.name] : undefined;
  if (o !== undefined) return o ? `in maintenance: ${o}` : 'in maintenance (set by a command)';
  if (node.status === 'maintenance') return 'in maintenance (status: maintenance in the cluster config)';
  return undefined;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const fmtGb = (n: number) => (n >= 10 ? n.toFixed(0) : n.toFixed(1));

/** The health of a node that answered the probe. */
export function assessHealth(node: NodeConfig, m: ProbeMeasurements, opts: AssessOptions = {}): NodeHealth {
  const h: NodeHealth = {
    name: node.name,
    host: opts.host ?? displayHost(node),
    status: 'healthy',
    warnings: [...m.warnings],
    probed_at: (opts.probedAt ?? new Date()).toISOString(),
  };
  if (opts.latencyMs !== undefined) h.latency_ms = round(opts.latencyMs, 1);
  if (opts.connectMs !== undefined) h.connect_ms = round(opts.connectMs, 1);

  const problems: string[] = [];
  if (m.memory) {
    const total = kbToGb(m.memory.total_kb);
    h.ram_total_gb = round(total);
    if (m.memory.available_kb !== undefined) {
      const avail = kbToGb(m.memory.available_kb);
      h.ram_available_gb = round(avail);
      h.ram_used_gb = round(total - avail);
      const pct = ((total - avail) / total) * 100;
      const limit = opts.ramDegradedPercent ?? DEFAULT_RAM_DEGRADED_PERCENT;
      if (pct > limit) problems.push(`RAM ${pct.toFixed(0)}% used (${fmtGb(total - avail)} of ${fmtGb(total)} GB, over ${limit}%)`);
    }
    const slack = opts.ramSlack ?? 0.1;
    if (total < node.ram_gb * (1 - slack)) h.warnings.push(`declares ${node.ram_gb} GB RAM, reports ${fmtGb(total)} GB`);
  }
  if (m.load) {
    h.load_1m = m.load.load_1m;
    h.load_5m = m.load.load_5m;
    h.load_15m = m.load.load_15m;
  }
  if (m.cpu_count !== undefined) {
    h.cpu_count = m.cpu_count;
    if (node.cpu_cores !== undefined && m.cpu_count < node.cpu_cores) h.warnings.push(`declares ${node.cpu_cores} CPU cores, reports ${m.cpu_count}`);
  }
  if (m.disk) {
    const free = kbToGb(m.disk.available_kb);
    const total = kbToGb(m.disk.total_kb);
    h.disk_free_gb = round(free);
    h.disk_total_gb = round(total);
    if (m.disk.path) h.disk_path = m.disk.path;
    const pct = total > 0 ? (free / total) * 100 : 100;
    const minPct = opts.diskMinFreePercent ?? DEFAULT_DISK_MIN_FREE_PERCENT;
    const minGb = opts.diskMinFreeGb ?? DEFAULT_DISK_MIN_FREE_GB;
    if (total > 0 && (pct < minPct || free < minGb)) problems.push(`disk nearly full: ${free.toFixed(1)} GB free (${pct.toFixed(1)}%) at ${m.disk.path ?? m.disk.mount}`);
  }
  if (m.arch) {
    h.arch = m.arch;
    const expected = EXPECTED_ARCH[node.type];
    if (expected && !expected.includes(m.arch)) h.warnings.push(`type ${node.type} implies ${expected[0]}, node reports ${m.arch}`);
  }
  if (m.gpus.length > 0) {
    h.gpu = m.gpus[0];
    if (m.gpus.length > 1) h.gpus = m.gpus;
    const declared = node.gpu_memory_gb;
    const reported = m.gpus[0]?.source === 'nvidia-smi' ? m.gpus.reduce((a, g) => a + (g.memory_total_gb ?? 0), 0) : undefined;
    if (declared !== undefined && reported !== undefined && reported > 0 && reported < declared * 0.9) h.warnings.push(`declares ${declared} GB GPU memory, reports ${fmtGb(reported)} GB`);
  } else if (node.gpu) {
    h.warnings.push('config says gpu: true but no GPU was found (no working nvidia-smi or tegrastats)');
  }
  if (m.temperature_c !== undefined) h.temperature_c = m.temperature_c;
  if (m.throttled !== undefined) {
    h.throttled = m.throttled;
    const now = (m.throttled_flags ?? []).filter((f) => /detected|capped$|currently|active/.test(f));
    if (now.length > 0) h.warnings.push(`Raspberry Pi reports ${now.join(', ')} (throttled=${m.throttled})`);
  }
  h.runs = m.runs;

  const failed = probeFailure(m, opts);
  if (failed) problems.unshift(`probe failed: ${failed}`);

  const maint = maintenanceReason(node, opts.overrides);
  if (maint) {
    h.status = 'maintenance';
    h.reason = problems.length ? `${maint}; ${problems.join('; ')}` : maint;
  } else if (problems.length) {
    h.status = 'degraded';
    h.reason = problems.join('; ');
  }
  return h;
}

/** Why the probe counts as failed, or undefined. Missing RAM figures make it a failure too. */
function probeFailure(m: ProbeMeasurements, opts: AssessOptions): string | undefined {
  const err = (opts.stderr ?? '').trim().split('\n').filter(Boolean).pop();
  if (opts.exitCode !== undefined && opts.exitCode !== 0) {
    const how = opts.exitCode === null ? 'the probe script was killed' : `the probe script exited with ${opts.exitCode}`;
    return err ? `${how}: ${err.slice(0, 160)}` : how;
  }
  if (m.version === undefined) return m.warnings[0] ?? 'probe output not recognised';
  if (!m.memory) return err ? `no RAM figures (${err.slice(0, 160)})` : 'no RAM figures in the probe output';
  return undefined;
}

/** The health of a node that could not be reached. */
export function unavailableHealth(node: NodeConfig, reason: string, opts: { hint?: string; host?: string; probedAt?: Date; overrides?: AssessOptions['overrides'] } = {}): NodeHealth {
  const h: NodeHealth = {
    name: node.name,
    host: opts.host ?? displayHost(node),
    status: 'unavailable',
    reason,
    warnings: [],
    probed_at: (opts.probedAt ?? new Date()).toISOString(),
  };
  if (opts.hint) h.hint = opts.hint;
  const maint = maintenanceReason(node, opts.overrides);
  if (maint) {
    h.status = 'maintenance';
    h.reason = `${maint}; unreachable: ${reason}`;
  }
  return h;
}
