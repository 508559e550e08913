// The probe's output format and its parser. The script (src/remote/probe.ts) prints one section
// per tool, each introduced by a marker line `@@CLP:<name>[ <arg>]`, then `@@CLP:end`.
import { parseArch, parseCpuCount, parseDf, parseLoadavg, parseMeminfo, parseNvidiaSmi, parseTegrastats, parseThermalZones, parseVcgencmd, printable } from './parsers';
import type { ProbeMeasurements, ProbedRun } from './types';

export const PROBE_VERSION = 1;
export const MARKER = '@@CLP:';

export const SECTIONS = ['probe', 'meminfo', 'loadavg', 'nproc', 'arch', 'df', 'nvidia-smi', 'tegrastats', 'vcgencmd', 'thermal', 'runs', 'end'] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface Section {
  name: string;
  /** Text after the name on the marker line (e.g. the df path, nvidia-smi's exit code). */
  arg: string;
  body: string;
}

/** Split the output into sections. Text before the first marker is returned as `preamble`. */
export function splitSections(text: string): { preamble: string; sections: Section[] } {
  const sections: Section[] = [];
  const pre: string[] = [];
  let current: { name: string; arg: string; lines: string[] } | undefined;
  const flush = () => {
    if (current) sections.push({ name: current.name, arg: current.arg, body: current.lines.join('\n') });
  };
  for (const line of text.split('\n')) {
    if (line.startsWith(MARKER)) {
      flush();
      const rest = line.slice(MARKER.length).replace(/\r$/, '');
      const sp = rest.indexOf(' ');
      current = sp < 0 ? { name: rest, arg: '', lines: [] } : { name: rest.slice(0, sp), arg: rest.slice(sp + 1), lines: [] };
    } else if (current) current.lines.push(line);
    else pre.push(line);
  }
  flush();
  return { preamble: pre.join('\n'), sections };
}

/** Parse the whole probe output. Never throws: what cannot be parsed becomes a warning. */
export function parseProbeOutput(text: string): ProbeMeasurements {
  const m: ProbeMeasurements = { complete: false, gpus: [], runs: [], warnings: [] };
  let parsed: ReturnType<typeof splitSections>;
  try {
    parsed = splitSections(text);
  } catch {
    m.warnings.push('probe output could not be read');
    return m;
  }
  const get = (name: SectionName) => parsed.sections.find((s) => s.name === name);
  const header = get('probe');
  if (header) {
    const v = Number(header.arg);
    if (Number.isInteger(v)) m.version = v;
  }
  if (!header) m.warnings.push(text.trim() === '' ? 'probe printed nothing' : `probe output not recognised: ${printable(parsed.preamble || text, 100)}`);
  m.complete = get('end') !== undefined;
  if (header && !m.complete) m.warnings.push('probe output was cut short; some measurements are missing');

  const section = (name: SectionName, fn: (s: Section) => void) => {
    const s = get(name);
    if (!s) return;
    try {
      fn(s);
    } catch {
      m.warnings.push(`could not read the ${name} section`);
    }
  };

  section('meminfo', (s) => {
    const mem = parseMeminfo(s.body);
    if (mem) m.memory = mem;
    else m.warnings.push('no RAM figures: /proc/meminfo unreadable');
  });
  section('loadavg', (s) => {
    const load = parseLoadavg(s.body);
    if (load) m.load = load;
    else m.warnings.push('no load figures: /proc/loadavg unreadable');
  });
  section('nproc', (s) => {
    const n = parseCpuCount(s.body);
    if (n !== undefined) m.cpu_count = n;
  });
  section('arch', (s) => {
    const a = parseArch(s.body);
    if (a) m.arch = a;
  });
  section('df', (s) => {
    const d = parseDf(s.body);
    if (d) {
      if (s.arg) d.path = s.arg;
      m.disk = d;
    } else m.warnings.push(`no disk figures for ${s.arg || 'the work dir'}${s.body.trim() ? `: ${printable(s.body, 100)}` : ''}`);
  });
  section('nvidia-smi', (s) => {
    const r = parseNvidiaSmi(s.body);
    m.gpus.push(...r.gpus);
    const rc = /rc=(\d+)/.exec(s.arg)?.[1];
    if (r.gpus.length === 0) m.warnings.push(`nvidia-smi failed${rc && rc !== '0' ? ` (exit ${rc})` : ''}: ${r.error ?? 'no output'}`);
    else if (r.error) m.warnings.push(`nvidia-smi printed unexpected output: ${r.error}`);
  });
  section('tegrastats', (s) => {
    const t = parseTegrastats(s.body);
    if (!t) {
      if (m.gpus.length === 0) m.warnings.push(`tegrastats gave no sample${s.body.trim() ? `: ${printable(s.body, 100)}` : ''}`);
      return;
    }
    if (t.gpu && m.gpus.length === 0) m.gpus.push(t.gpu);
    if (t.temperature_c !== undefined && m.temperature_c === undefined) {
      m.temperature_c = t.temperature_c;
      m.temperature_source = 'tegrastats';
    }
  });
  section('vcgencmd', (s) => {
    const v = parseVcgencmd(s.body);
    if (v.temperature_c !== undefined) {
      m.temperature_c = v.temperature_c;
      m.temperature_source = 'vcgencmd';
    }
    if (v.throttled) {
      m.throttled = v.throttled;
      m.throttled_flags = v.throttled_flags ?? [];
    }
  });
  section('thermal', (s) => {
    if (m.temperature_c !== undefined) return;
    const t = parseThermalZones(s.body);
    if (t !== undefined) {
      m.temperature_c = t;
      m.temperature_source = 'thermal_zone';
    }
  });
  section('runs', (s) => {
    m.runs = parseRunLines(s.body);
  });
  return m;
}

/** Lines `run<TAB>name<TAB>pid<TAB>alive(0|1)<TAB>exit_code`. */
export function parseRunLines(body: string): ProbedRun[] {
  const runs: ProbedRun[] = [];
  for (const line of body.split('\n')) {
    const f = line.split('\t');
    if (f[0] !== 'run' || f.length < 4 || !f[1]) continue;
    const run: ProbedRun = { run_id: f[1], alive: f[3] === '1' };
    const pid = /^\d+$/.test(f[2] ?? '') ? Number(f[2]) : undefined;
    if (pid !== undefined && pid > 0 && Number.isSafeInteger(pid)) run.pid = pid;
    const code = (f[4] ?? '').trim();
    if (/^-?\d+$/.test(code) && Number.isSafeInteger(Number(code))) run.exit_code = Number(code);
    runs.push(run);
  }
  return runs;
}
