import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostMessage } from '../../../src/core/dashboard/protocol';
import { DashboardSession, clampSamplingSeconds } from '../../../src/core/dashboard/session';
import { cluster, inputs, run } from './fixtures';

const T0 = 1_700_000_000_000;

test('samples carry node values, and instance rows only when they changed', () => {
  const s = new DashboardSession(5);
  const i = inputs();
  const snap = s.snapshot(i, T0);
  assert.equal(snap.type, 'snapshot');
  assert.equal(snap.data.instances.length, 4);
  const a = s.sample(i, T0 + 5000);
  assert.equal(a.type, 'sample');
  if (a.type !== 'sample') return;
  assert.equal(a.nodes.length, 4);
  assert.equal(a.instances, undefined, 'unchanged rows are not resent');
  const changed = { ...i, runs: [...i.runs.slice(1), run('hive_1', 'jetson', { status: 'crashed', exit_code: 1, ended_at: '2025-11-16T11:30:00.000Z' })] };
  const b = s.update(changed, T0 + 6000);
  assert.equal(b.type, 'update');
  if (b.type !== 'update') return;
  assert.equal(b.instances?.find((r) => r.instance_id === 'hive_1')?.status, 'crashed');
  const c = s.sample(changed, T0 + 10_000);
  assert.equal(c.type === 'sample' && c.instances, undefined);
  for (const m of [snap, a, b, c]) assert.ok(parseHostMessage(JSON.parse(JSON.stringify(m))).ok);
});

test('history grows with samples only (not updates), and the snapshot carries it', () => {
  const s = new DashboardSession(5);
  const i = inputs();
  s.snapshot(i, T0);
  s.sample(i, T0 + 5000);
  s.update(i, T0 + 6000);
  s.sample(i, T0 + 10_000);
  const snap = s.snapshot(i, T0 + 11_000);
  assert.deepEqual(snap.data.history.t, [T0 + 5000, T0 + 10_000]);
  assert.equal(snap.data.history.series.find((x) => x.node === 'jetson')!.ram_allocated_percent[1], 56.3);
});

test('a change in the set of nodes sends a snapshot instead of a sample', () => {
  const s = new DashboardSession(5);
  s.snapshot(inputs(), T0);
  const fewer = inputs({ cluster: { ...cluster, nodes: cluster.nodes.slice(0, 2) } });
  const m = s.sample(fewer, T0 + 5000);
  assert.equal(m.type, 'snapshot');
  if (m.type === 'snapshot') assert.deepEqual(m.data.nodes.map((n) => n.name), ['jetson', 'rpi1']);
});

test('sampling interval is clamped to the contract and resizes the history', () => {
  assert.deepEqual([clampSamplingSeconds(0), clampSamplingSeconds(2.4), clampSamplingSeconds(1e9), clampSamplingSeconds(Number.NaN)], [1, 2, 3600, 5]);
  const s = new DashboardSession(1);
  s.snapshot(inputs(), T0);
  for (let k = 1; k <= 70; k++) s.sample(inputs(), T0 + k * 1000);
  s.setSamplingSeconds(3600);
  assert.equal(s.samplingSeconds, 3600);
  assert.equal(s.snapshot(inputs(), T0).data.history.t.length, 60);
});
