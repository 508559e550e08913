// The bad-input corpus, pure half: remote probe output, dashboard messages, --health files and
// --placement specs, read from the JSON data files next to this test. Every case must be handled
// without an exception, with a message that says where and what. The CLI half (cluster and
// experiment files, command-line arguments, through the built dist/cli.js) is test/cli/corpus.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { nodeSchema } from '../../src/core/config/schema';
import { parseHostMessage, parseWebviewMessage } from '../../src/core/dashboard/protocol';
import { assessHealth } from '../../src/core/health/assess';
import { parseProbeOutput } from '../../src/core/health/probeOutput';
import { NODE_STATUSES, type NodeHealth } from '../../src/core/health/types';
import { parseHealthInput } from '../../src/core/placement/healthInput';
import { parsePlacementSpec } from '../../src/core/placement/spec';

const load = <T>(name: string): { cases: T[] } => JSON.parse(readFileSync(join(__dirname, name), 'utf8')) as { cases: T[] };
const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/probe', name), 'utf8');

/** Messages for people never show these (unless they quote the input, which had them). */
const VAGUE = ['undefined', 'NaN', '[object Object]', 'TypeError'];

function assertClean(text: string, what: string, input = ''): void {
  for (const v of VAGUE) if (!input.includes(v)) assert.ok(!text.includes(v), `${what} says ${v}: ${JSON.stringify(text)}`);
  assert.doesNotMatch(text, /^\s+at /m, `${what}: ${JSON.stringify(text)}`);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f]/, `${what} has control characters: ${JSON.stringify(text)}`);
}

/** Every number in `v` is finite (NaN/Infinity would show as "NaN" or null after JSON). */
function assertFinite(v: unknown, path = ''): void {
  if (typeof v === 'number') assert.ok(Number.isFinite(v), `${path} is ${v}`);
  else if (Array.isArray(v)) v.forEach((x, i) => assertFinite(x, `${path}[${i}]`));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) assertFinite(x, `${path}.${k}`);
}

// ---- remote probe output ----

interface ProbeCase {
  id: string;
  source: string;
  node: Record<string, unknown>;
  sections?: Record<string, string | null>;
  raw?: string;
  rawBase64?: string;
  crlf?: boolean;
  exitCode?: number;
  stderr?: string;
  expect: {
    status?: string;
    statusIn?: string[];
    reason?: string;
    warnings?: string[];
    noGpu?: boolean;
    gpuSource?: string;
    gpuFiniteOrAbsent?: boolean;
    gpuNoFigures?: boolean;
    ramUsedNotNegative?: boolean;
    noTemperature?: boolean;
    temperatureBetween?: [number, number];
    runsFinite?: boolean;
  };
}

/** The sections of a healthy Raspberry Pi probe; cases replace (string), drop (null) or add sections. */
function baseline(): Array<[string, string]> {
  return [
    ['probe 1', ''],
    ['meminfo', fixture('meminfo-pi5-8gb.txt')],
    ['loadavg', fixture('loadavg-jetson.txt')],
    ['nproc', '4\n'],
    ['arch', 'aarch64\n'],
    ['df /home/pi/work', fixture('df-pk-pi5.txt')],
  ];
}

function probeText(c: ProbeCase): string {
  if (c.rawBase64 !== undefined) return Buffer.from(c.rawBase64, 'base64').toString('utf8');
  if (c.raw !== undefined) return c.raw;
  const sections = baseline();
  for (const [name, body] of Object.entries(c.sections ?? {})) {
    const head = name.split(' ')[0] ?? '';
    const i = sections.findIndex(([n]) => n.split(' ')[0] === head && head !== '');
    if (body === null) {
      if (i >= 0) sections.splice(i, 1);
    } else if (i >= 0) sections[i] = [name, body];
    else sections.push([name, body]);
  }
  sections.push(['end', '']);
  const text = sections.map(([n, b]) => `@@CLP:${n}\n${b}${b && !b.endsWith('\n') ? '\n' : ''}`).join('');
  return c.crlf ? text.replace(/\n/g, '\r\n') : text;
}

describe('corpus: remote probe output', () => {
  const { cases } = load<ProbeCase>('probe.json');
  for (const c of cases) {
    it(`${c.id} (${c.source})`, () => {
      const node = nodeSchema.parse({ name: 'n1', host: 'n1.lan', ram_gb: 8, ...c.node });
      const text = probeText(c);
      const m = parseProbeOutput(text);
      const h: NodeHealth = assessHealth(node, m, { ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}), ...(c.stderr !== undefined ? { stderr: c.stderr } : {}) });
      // A valid status; a reason whenever the node is not healthy; nothing non-finite.
      assert.ok((NODE_STATUSES as readonly string[]).includes(h.status), h.status);
      if (h.status !== 'healthy') assert.ok(h.reason && h.reason.length > 5, `no reason for ${h.status}`);
      assertFinite(h, 'health');
      for (const w of h.warnings) assertClean(w, 'warning', text);
      if (h.reason) assertClean(h.reason, 'reason', text + (c.stderr ?? ''));
      JSON.stringify(h); // what `health --json` prints

      const e = c.expect;
      if (e.status) assert.equal(h.status, e.status, `status; reason: ${h.reason ?? '-'}; warnings: ${h.warnings.join(' | ')}`);
      if (e.statusIn) assert.ok(e.statusIn.includes(h.status), h.status);
      if (e.reason) assert.match(h.reason ?? '', new RegExp(e.reason));
      for (const w of e.warnings ?? []) assert.ok(h.warnings.some((x) => new RegExp(w).test(x)), `no warning /${w}/ in ${JSON.stringify(h.warnings)}`);
      if (e.noGpu) assert.equal(h.gpu, undefined, JSON.stringify(h.gpu));
      if (e.gpuSource) assert.equal(h.gpu?.source, e.gpuSource);
      if (e.gpuFiniteOrAbsent && h.gpu) {
        assertFinite(h.gpu, 'gpu');
        for (const k of ['memory_total_gb', 'memory_used_gb'] as const) {
          const v = h.gpu[k];
          if (v !== undefined) assert.ok(v >= 0 && v < 1e6, `gpu.${k} = ${v}`);
        }
      }
      if (e.gpuNoFigures) assert.deepEqual([h.gpu?.memory_total_gb, h.gpu?.memory_used_gb, h.gpu?.utilization_percent, h.gpu?.temperature_c], [undefined, undefined, undefined, undefined]);
      if (e.ramUsedNotNegative) assert.ok((h.ram_used_gb ?? 0) >= 0 && (h.ram_available_gb ?? 0) <= (h.ram_total_gb ?? 0), JSON.stringify(h));
      if (e.noTemperature) assert.equal(h.temperature_c, undefined);
      if (e.temperatureBetween) {
        assert.ok(h.temperature_c !== undefined, 'a temperature');
        assert.ok(h.temperature_c >= e.temperatureBetween[0] && h.temperature_c <= e.temperatureBetween[1], String(h.temperature_c));
      }
      if (e.runsFinite) for (const r of h.runs ?? []) assert.ok(r.run_id.length > 0 && (r.pid === undefined || r.pid > 0) && (r.exit_code === undefined || Number.isSafeInteger(r.exit_code)), JSON.stringify(r));
    });
  }
});

// ---- dashboard messages ----

interface WebviewCase {
  id: string;
  to: 'host' | 'webview';
  json?: string;
  message?: unknown;
  gen?: 'longRunId' | 'hugeNodes' | 'hugeInstances' | 'deep';
  expect: { reason: string };
}

function generated(gen: NonNullable<WebviewCase['gen']>): unknown {
  switch (gen) {
    case 'longRunId':
      return { type: 'command', command: 'showLogs', run_id: 'r'.repeat(100_000) };
    case 'hugeNodes':
      return { type: 'sample', at: 1, nodes: Array.from({ length: 200_000 }, (_, i) => ({ name: `n${i}` })) };
    case 'hugeInstances':
      return { type: 'update', at: 1, nodes: [], instances: Array.from({ length: 10_001 }, () => ({})) };
    case 'deep': {
      let v: unknown = { polluted: 'yes' };
      for (let i = 0; i < 10_000; i++) v = { __proto__: null, nested: v, a: [v] };
      return { type: 'update', at: 1, nodes: [v] };
    }
  }
}

describe('corpus: dashboard webview messages', () => {
  const { cases } = load<WebviewCase>('webview.json');
  for (const c of cases) {
    it(`${c.id} (to the ${c.to})`, () => {
      const raw: unknown = c.gen ? generated(c.gen) : c.json !== undefined ? JSON.parse(c.json) : c.message;
      const t0 = performance.now();
      const r = c.to === 'host' ? parseWebviewMessage(raw) : parseHostMessage(raw);
      assert.ok(performance.now() - t0 < 2000, 'rejected quickly');
      assert.equal(r.ok, false, 'rejected');
      if (r.ok) return;
      assert.match(r.reason, /^dropped a message from the (dashboard webview|extension host)/);
      assert.match(r.reason, new RegExp(c.expect.reason), r.reason);
      assert.ok(r.reason.length < 2500, `reason is ${r.reason.length} characters`);
      assert.doesNotMatch(r.reason, /\[object Object\]|TypeError/);
      // Nothing reached Object.prototype.
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
    });
  }
});

// ---- --health FILE ----

interface HealthCase {
  id: string;
  text?: string;
  gen?: 'deepArray';
  expect: { error?: string; warnings?: string[]; status?: Record<string, string>; noLoad?: boolean };
}

describe('corpus: --health files', () => {
  const { cases } = load<HealthCase>('health-input.json');
  for (const c of cases) {
    it(c.id, () => {
      const text = c.gen === 'deepArray' ? `${'['.repeat(200_000)}${']'.repeat(200_000)}` : (c.text ?? '');
      const r = parseHealthInput(text, 'h.json', ['host', 'rpi1']);
      if (c.expect.error) {
        assert.equal(r.ok, false, JSON.stringify(r));
        if (r.ok) return;
        assert.match(r.error, new RegExp(c.expect.error), r.error);
        assertClean(r.error.replace(/\n/g, ' '), 'error');
        return;
      }
      assert.equal(r.ok, true, JSON.stringify(r));
      if (!r.ok) return;
      for (const w of c.expect.warnings ?? []) assert.ok(r.value.warnings.some((x) => new RegExp(w).test(x)), JSON.stringify(r.value.warnings));
      if (c.expect.status) for (const [n, s] of Object.entries(c.expect.status)) assert.equal(r.value.status[n], s);
      if (c.expect.noLoad) assert.deepEqual(r.value.load, {});
      assertFinite(r.value, 'health input');
    });
  }
});

// ---- --placement SPEC ----

interface SpecCase {
  id: string;
  spec?: string;
  gen?: 'tenThousand';
  expect: { errors?: Array<[number, string]>; errorCount?: number; maxMs?: number; pins?: Record<string, string> };
}

describe('corpus: --placement specs', () => {
  const { cases } = load<SpecCase>('placement-spec.json');
  for (const c of cases) {
    it(c.id, () => {
      const spec = c.gen === 'tenThousand' ? Array.from({ length: 10_000 }, (_, i) => `x${i}:host`).join(',') : (c.spec ?? '');
      const t0 = performance.now();
      const r = parsePlacementSpec(spec, ['exp_a', 'exp_b'], ['host', 'rpi1']);
      const ms = performance.now() - t0;
      if (c.expect.maxMs !== undefined) assert.ok(ms < c.expect.maxMs, `${ms.toFixed(0)} ms`);
      if (c.expect.pins) {
        assert.deepEqual(r, { ok: true, pins: c.expect.pins });
        return;
      }
      assert.equal(r.ok, false, JSON.stringify(r));
      if (r.ok) return;
      for (const e of r.errors) {
        assert.ok(Number.isInteger(e.column) && e.column >= 1 && e.column <= spec.length + 1, `column ${e.column}`);
        assert.doesNotMatch(e.message, /\bundefined\b|\[object Object\]/);
      }
      if (c.expect.errorCount !== undefined) assert.equal(r.errors.length, c.expect.errorCount);
      if (c.expect.errors) {
        assert.deepEqual(
          r.errors.map((e) => e.column),
          c.expect.errors.map(([col]) => col),
          JSON.stringify(r.errors),
        );
        c.expect.errors.forEach(([, msg], i) => assert.match(r.errors[i]!.message, new RegExp(msg)));
      }
    });
  }
});
