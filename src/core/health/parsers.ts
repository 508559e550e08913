// Parsers for the outputs of the tools the health probe runs. Pure and total: garbage in gives
// `undefined` (or an `error` text), never an exception.
import type { DiskInfo, GpuInfo, LoadAverage, MemoryInfo } from './types';

const KB_PER_GB = 1024 * 1024;
const MIB_PER_GB = 1024;

export const kbToGb = (kb: number): number => kb / KB_PER_GB;

function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}

/** A number from a tool's field ("[N/A]", "[Not Supported]", "" and junk give undefined). */
export function toNumber(field: string | undefined): number | undefined {
  if (field === undefined) return undefined;
  const t = field.trim();
  if (!/^-?\d+(\.\d+)?$/.test(t)) return undefined;
  return finite(Number(t));
}

/** /proc/meminfo. undefined when MemTotal is missing or not a number. */
export function parseMeminfo(text: string): MemoryInfo | undefined {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line.trim());
    if (m && m[1] && m[2]) fields.set(m[1], Number(m[2]));
  }
  const total = fields.get('MemTotal');
  if (total === undefined || !(total > 0)) return undefined;
  const info: MemoryInfo = { total_kb: total };
  const free = fields.get('MemFree');
  if (free !== undefined) info.free_kb = free;
  const available = fields.get('MemAvailable');
  if (available !== undefined) info.available_kb = available;
  else if (free !== undefined) {
    // Kernels before 3.14 have no MemAvailable: free + buffers + page cache is the usual estimate.
    info.available_kb = free + (fields.get('Buffers') ?? 0) + (fields.get('Cached') ?? 0);
  }
  if (info.available_kb !== undefined && info.available_kb > total) info.available_kb = total;
  const swapTotal = fields.get('SwapTotal');
  if (swapTotal !== undefined) info.swap_total_kb = swapTotal;
  const swapFree = fields.get('SwapFree');
  if (swapFree !== undefined) info.swap_free_kb = swapFree;
  return info;
}

/** /proc/loadavg: "0.52 0.58 0.59 2/1043 12345". */
export function parseLoadavg(text: string): LoadAverage | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)(?:\s+(\d+)\/(\d+))?/.exec(text);
  if (!m) return undefined;
  const load: LoadAverage = { load_1m: Number(m[1]), load_5m: Number(m[2]), load_15m: Number(m[3]) };
  if (m[4] && m[5]) {
    load.running = Number(m[4]);
    load.total_tasks = Number(m[5]);
  }
  return load;
}

/** `nproc` or `getconf _NPROCESSORS_ONLN`: the first whole number. */
export function parseCpuCount(text: string): number | undefined {
  const m = /^\s*(\d+)\s*$/m.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 && n < 100000 ? n : undefined;
}

/** `uname -m`: a machine name such as aarch64 or x86_64. */
export function parseArch(text: string): string | undefined {
  const m = /^\s*([A-Za-z0-9_.-]{1,32})\s*$/m.exec(text);
  return m?.[1];
}

/**
 * `df -Pk PATH`: the POSIX format, one header line and one line per filesystem (the last is used).
 * Filesystem names and mount points may hold spaces, so the numeric columns anchor the match.
 */
export function parseDf(text: string): DiskInfo | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+|-)%?\s+(\/.*)$/.exec(lines[i] ?? '');
    if (!m) continue;
    const total = Number(m[2]);
    const used = Number(m[3]);
    const available = Number(m[4]);
    if (![total, used, available].every(Number.isFinite)) continue;
    return { filesystem: (m[1] ?? '').trim(), total_kb: total, used_kb: used, available_kb: available, mount: (m[6] ?? '').trimEnd() };
  }
  return undefined;
}

export interface NvidiaSmiResult {
  gpus: GpuInfo[];
  /** Set when nvidia-smi printed something that is not the CSV asked for (driver errors...). */
  error?: string;
}

/**
 * `nvidia-smi --query-gpu=name,memory.total,memory.used,utilization.gpu,temperature.gpu
 * --format=csv,noheader,nounits`: one line per GPU, memory in MiB. Fields may be "[N/A]".
 */
export function parseNvidiaSmi(text: string): NvidiaSmiResult {
  const gpus: GpuInfo[] = [];
  const junk: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const parts = line.split(',').map((p) => p.trim());
    // Parse from the right: the four numeric fields are fixed, a name could hold a comma.
    if (parts.length >= 5) {
      const [memTotal, memUsed, util, temp] = parts.slice(-4);
      const name = parts.slice(0, -4).join(', ');
      const numericOrNa = (f: string | undefined) => f !== undefined && (toNumber(f) !== undefined || /^\[.*\]$|^N\/A$/i.test(f));
      // eslint-disable-next-line no-control-regex
      if (name && [memTotal, memUsed, util, temp].every(numericOrNa) && !/[\u0000-\u0008\uFFFD]/.test(name)) {
        const gpu: GpuInfo = { name, source: 'nvidia-smi' };
        // A broken driver can print negative or absurd figures: keep only plausible ones.
        const within = (n: number | undefined, lo: number, hi: number) => (n !== undefined && n >= lo && n <= hi ? n : undefined);
        const mt = within(toNumber(memTotal), 0, 1e9);
        const mu = within(toNumber(memUsed), 0, 1e9);
        const ut = within(toNumber(util), 0, 100);
        const tp = within(toNumber(temp), -50, 200);
        if (mt !== undefined) gpu.memory_total_gb = mt / MIB_PER_GB;
        if (mu !== undefined) gpu.memory_used_gb = mu / MIB_PER_GB;
        if (ut !== undefined) gpu.utilization_percent = ut;
        if (tp !== undefined) gpu.temperature_c = tp;
        gpus.push(gpu);
        continue;
      }
    }
    junk.push(line);
  }
  const result: NvidiaSmiResult = { gpus };
  if (junk.length > 0) result.error = printable(junk[0] ?? '', 160);
  return result;
}

export interface TegrastatsResult {
  ram_used_mb?: number;
  ram_total_mb?: number;
  gpu?: GpuInfo;
  /** The hottest of tj (junction), or else any sensor reported. */
  temperature_c?: number;
  temperatures: Record<string, number>;
}

/**
 * One tegrastats line (Jetson). Formats differ by release:
 *   RAM 5102/62841MB (lfb 11937x4MB) SWAP 0/31420MB (cached 0MB) CPU [1%@729,...] EMC_FREQ 0%
 *   GR3D_FREQ 0% cpu@47.5C soc2@44.2C tj@47.5C ...         (JetPack 5 / 6)
 *   GR3D_FREQ 0%@[0,0]  or  GR3D_FREQ @[1000,1000]           (per-GPC, r36.4+ / Thor)
 *   GR3D 3%@76  and  GPU@23.5C                              (older boards)
 * undefined when no RAM field is found.
 */
export function parseTegrastats(text: string): TegrastatsResult | undefined {
  const line = text.split('\n').find((l) => /\bRAM \d+\/\d+[MG]B/.test(l));
  if (!line) return undefined;
  const result: TegrastatsResult = { temperatures: {} };
  const ram = /\bRAM (\d+)\/(\d+)([MG])B/.exec(line);
  if (ram) {
    const scale = ram[3] === 'G' ? 1024 : 1;
    result.ram_used_mb = Number(ram[1]) * scale;
    result.ram_total_mb = Number(ram[2]) * scale;
  }
  for (const m of line.matchAll(/\b([A-Za-z][A-Za-z0-9_]*)@(-?\d+(?:\.\d+)?)C\b/g)) {
    const key = (m[1] ?? '').toLowerCase();
    const value = Number(m[2]);
    // Sensors that are absent read -256C on some boards.
    if (Number.isFinite(value) && value > -100 && value < 200) result.temperatures[key] = value;
  }
  const temps = result.temperatures;
  const tj = temps.tj;
  const hottest = Object.values(temps).reduce<number | undefined>((a, b) => (a === undefined || b > a ? b : a), undefined);
  result.temperature_c = tj ?? hottest;

  const gpu: GpuInfo = { name: 'Jetson integrated GPU', source: 'tegrastats' };
  const gr3d = /\bGR3D(?:_FREQ)?\s+(\d+)%/.exec(line);
  if (gr3d) gpu.utilization_percent = Number(gr3d[1]);
  const gpuTemp = temps.gpu ?? temps.tj;
  if (gpuTemp !== undefined) gpu.temperature_c = gpuTemp;
  // Jetson memory is unified: the GPU shares the RAM tegrastats reports.
  if (result.ram_total_mb !== undefined) gpu.memory_total_gb = result.ram_total_mb / MIB_PER_GB;
  if (result.ram_used_mb !== undefined) gpu.memory_used_gb = result.ram_used_mb / MIB_PER_GB;
  if (/\bGR3D/.test(line)) result.gpu = gpu;
  return result;
}

export interface VcgencmdResult {
  temperature_c?: number;
  throttled?: string;
  throttled_flags?: string[];
}

const THROTTLE_BITS: Array<[number, string]> = [
  [0, 'under-voltage detected'],
  [1, 'ARM frequency capped'],
  [2, 'currently throttled'],
  [3, 'soft temperature limit active'],
  [16, 'under-voltage has occurred'],
  [17, 'ARM frequency capping has occurred'],
  [18, 'throttling has occurred'],
  [19, 'soft temperature limit has occurred'],
];

/** Raspberry Pi `vcgencmd measure_temp` ("temp=52.1'C") and `vcgencmd get_throttled` ("throttled=0x50000"). */
export function parseVcgencmd(text: string): VcgencmdResult {
  const result: VcgencmdResult = {};
  const t = /temp=(-?\d+(?:\.\d+)?)'?C/.exec(text);
  if (t) result.temperature_c = Number(t[1]);
  const th = /throttled=(0x[0-9a-fA-F]+)/.exec(text);
  if (th && th[1]) {
    result.throttled = th[1].toLowerCase();
    const bits = parseInt(th[1], 16);
    result.throttled_flags = THROTTLE_BITS.filter(([bit]) => (bits & (1 << bit)) !== 0).map(([, what]) => what);
  }
  return result;
}

/** Lines "TYPE MILLIDEGREES" from /sys/class/thermal/thermal_zone*: the CPU zone, else the hottest. */
export function parseThermalZones(text: string): number | undefined {
  let cpu: number | undefined;
  let hottest: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(-?\d+)\s*$/.exec(line.trim());
    if (!m) continue;
    const c = Number(m[2]) / 1000;
    if (!(c > -50 && c < 200)) continue;
    if (/cpu|soc|x86_pkg|tj/i.test(m[1] ?? '') && (cpu === undefined || c > cpu)) cpu = c;
    if (hottest === undefined || c > hottest) hottest = c;
  }
  return cpu ?? hottest;
}

/** A short, printable excerpt of tool output for a warning (control bytes and junk removed). */
export function printable(text: string, max = 120): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\uFFFD]/g, '').replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
