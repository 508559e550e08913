import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseHostMessage, parseWebviewMessage, type HostMessage, type WebviewMessage } from '../../../src/core/dashboard/protocol';
import { DashboardSession } from '../../../src/core/dashboard/session';
import { inputs } from './fixtures';

const realHostMessages = (): HostMessage[] => {
  const s = new DashboardSession(5);
  const i = inputs();
  return [s.snapshot(i, 1_700_000_000_000), s.sample(i, 1_700_000_005_000), s.update(i, 1_700_000_006_000), { type: 'config', sampling_seconds: 10 }, { type: 'theme', kind: 'light' }, { type: 'theme' }];
};

test('host -> webview: every message the host produces passes the webview validation, through JSON', () => {
  for (const m of realHostMessages()) {
    const r = parseHostMessage(JSON.parse(JSON.stringify(m)));
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.deepEqual(r.message, JSON.parse(JSON.stringify(m)));
  }
});

test('webview -> host: valid messages pass', () => {
  const valid: WebviewMessage[] = [
    { type: 'ready' },
    { type: 'command', command: 'checkHealth' },
    { type: 'command', command: 'checkHealth', node: 'jetson' },
    { type: 'command', command: 'showLogs', run_id: 'r-1' },
    { type: 'setInterval', seconds: 5 },
    { type: 'invalid', reason: 'x' },
  ];
  for (const m of valid) assert.deepEqual(parseWebviewMessage(m), { ok: true, message: m });
});

test('webview -> host: invalid messages are dropped with a reason naming what is wrong', () => {
  const cases: [unknown, RegExp][] = [
    [null, /expected an object with a "type", got null/],
    ['ready', /expected an object/],
    [[{ type: 'ready' }], /got an array/],
    [{}, /"type" is nothing, expected one of ready, command, setInterval, invalid/],
    [{ type: 'exec', command: 'rm -rf /' }, /"type" is "exec"/],
    [{ type: 'toString' }, /"type" is "toString"/],
    [{ type: 'ready', extra: 1 }, /unexpected key "extra"/],
    [{ type: 'command', command: 'workbench.action.terminal.sendSequence' }, /command: expected one of "checkHealth"/],
    [{ type: 'command', command: 'checkHealth', node: '' }, /node: too small/],
    [{ type: 'command', command: 'checkHealth', node: 'x'.repeat(10_000) }, /node: too big \(length at most 200\)/],
    [{ type: 'setInterval', seconds: 0 }, /seconds: too small \(at least 1\)/],
    [{ type: 'setInterval', seconds: 1e9 }, /seconds: too big/],
    [{ type: 'setInterval', seconds: 2.5 }, /seconds: expected a whole number, got 2.5/],
    [{ type: 'setInterval', seconds: '5' }, /seconds: expected number, got "5"/],
    [{ type: 'setInterval' }, /seconds: missing \(expected number\)/],
    [{ type: 'invalid', reason: 'y'.repeat(5000) }, /reason: too big/],
  ];
  for (const [raw, re] of cases) {
    const r = parseWebviewMessage(raw);
    assert.equal(r.ok, false, `accepted ${JSON.stringify(raw)?.slice(0, 80)}`);
    if (!r.ok) {
      assert.match(r.reason, /^dropped a message from the dashboard webview/);
      assert.match(r.reason, re);
      assert.ok(r.reason.length < 1000, 'reasons stay short even for huge payloads');
    }
  }
});

test('host -> webview: invalid data is dropped with a reason', () => {
  const [snap, sample] = realHostMessages() as [HostMessage & { type: 'snapshot' }, HostMessage & { type: 'sample' }];
  const bad = (f: (m: Record<string, unknown>) => void, from: HostMessage): unknown => {
    const m = JSON.parse(JSON.stringify(from)) as Record<string, unknown>;
    f(m);
    return m;
  };
  const cases: [unknown, RegExp][] = [
    [bad((m) => ((m.nodes as Record<string, unknown>[])[0]!.status = 'on fire'), sample), /nodes\.0\.status: expected one of/],
    [bad((m) => (((m.nodes as Record<string, unknown>[])[0]!.ram as Record<string, unknown>).allocated_gb = -1), sample), /nodes\.0\.ram\.allocated_gb: too small/],
    [bad((m) => (((m.nodes as Record<string, unknown>[])[0]!.ram as Record<string, unknown>).total_gb = '64'), sample), /expected number, got "64"/],
    [bad((m) => ((m.data as Record<string, unknown>).history = { capacity: 0, t: [], series: [] }), snap), /data\.history\.capacity: too small/],
    [bad((m) => (m.nodes = new Array(300).fill((m.nodes as unknown[])[0])), sample), /nodes: too big \(length at most 256\)/],
    [bad((m) => (m.at = -5), sample), /at: too small/],
    [{ type: 'theme', kind: 'neon' }, /kind: expected one of "light"/],
    [{ type: 'config', sampling_seconds: 0.5 }, /sampling_seconds: expected a whole number/],
  ];
  for (const [raw, re] of cases) {
    const r = parseHostMessage(raw);
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.match(r.reason, /^dropped a message from the extension host/);
      assert.match(r.reason, re);
    }
  }
  // NaN and Infinity are not numbers on the dashboard (JSON would turn them into null anyway).
  const withNaN = JSON.parse(JSON.stringify(sample)) as { nodes: { cpu: { load_1m?: number } }[] };
  withNaN.nodes[0]!.cpu.load_1m = Number.NaN;
  assert.equal(parseHostMessage(withNaN).ok, false);
  withNaN.nodes[0]!.cpu.load_1m = Infinity;
  assert.equal(parseHostMessage(withNaN).ok, false);
});

test('hostile payloads never throw and never pollute prototypes', () => {
  const polluted = JSON.parse('{"type":"ready","__proto__":{"polluted":true}}') as unknown;
  const r = parseWebviewMessage(polluted);
  assert.equal(r.ok, false);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const nested = JSON.parse('{"type":"command","command":"checkHealth","constructor":{"prototype":{"polluted":true}}}') as unknown;
  assert.equal(parseWebviewMessage(nested).ok, false);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);

  const throwing = Object.defineProperty({}, 'type', { get: () => { throw new Error('boom'); }, enumerable: true });
  const t = parseWebviewMessage(throwing);
  assert.equal(t.ok, false);
  if (!t.ok) assert.match(t.reason, /could not be read \(boom\)/);
  const proxy = new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); } });
  assert.equal(parseHostMessage(proxy).ok, false);
  let deep: unknown = { type: 'ready' };
  for (let k = 0; k < 10_000; k++) deep = { type: 'command', command: 'checkHealth', node: deep };
  assert.equal(parseWebviewMessage(deep).ok, false);
});

test('property: arbitrary JSON never throws, and anything accepted is exactly a valid message', () => {
  const msg = fc.oneof(
    fc.jsonValue(),
    fc.record({ type: fc.constantFrom('ready', 'command', 'setInterval', 'invalid', 'snapshot', 'sample', 'update', 'config', 'theme'), command: fc.string(), seconds: fc.oneof(fc.integer(), fc.double()), node: fc.string(), reason: fc.string(), kind: fc.string(), sampling_seconds: fc.integer() }, { requiredKeys: ['type'] }),
  );
  fc.assert(
    fc.property(msg, (raw) => {
      for (const parse of [parseWebviewMessage, parseHostMessage]) {
        const r = parse(raw);
        if (r.ok) assert.deepEqual(parse(JSON.parse(JSON.stringify(r.message))), r);
        else assert.equal(typeof r.reason, 'string');
      }
    }),
    { numRuns: 1000 },
  );
});
