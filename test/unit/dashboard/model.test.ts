import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HistoryRing, formatDuration, historyCapacity, historyPoint, instanceRows, nodeViews, uptimeSeconds } from '../../../src/core/dashboard/model';
import { resourceReport } from '../../../src/core/placement';
import { cluster, health, inputs, inst, run } from './fixtures';

test('RAM allocated, total, utilisation and instance counts equal the resource report (clusterlab report)', () => {
  const i = inputs();
  const views = nodeViews(i);
  const status = Object.fromEntries(i.health.map((h) => [h.name, h.status]));
  const report = resourceReport({ nodes: cluster.nodes, allocations: [], existing: i.allocations, status, now: new Date() });
  assert.equal(views.length, report.nodes.length);
  for (const r of report.nodes) {
    const v = views.find((x) => x.name === r.name);
    assert.ok(v, `node ${r.name} is on the dashboard`);
    assert.equal(v.ram.allocated_gb, r.ram_allocated_gb, `${r.name} allocated`);
    assert.equal(v.ram.total_gb, r.ram_total_gb, `${r.name} total`);
    assert.equal(v.ram.utilization_percent, r.ram_utilization_percent, `${r.name} utilisation`);
    assert.equal(v.instances, r.instances);
    assert.equal(v.max_instances, r.max_instances);
    assert.equal(v.gpu_capable, r.gpu);
  }
  // The seed's documented report for the hive cluster: jetson 36 of 64 GB = 56.25 %, rpi 6 of 8 = 75 %.
  const jetson = views.find((v) => v.name === 'jetson')!;
  assert.deepEqual([jetson.ram.allocated_gb, jetson.ram.utilization_percent, jetson.instances], [36, 56.25, 3]);
  const rpi1 = views.find((v) => v.name === 'rpi1')!;
  assert.deepEqual([rpi1.ram.allocated_gb, rpi1.ram.utilization_percent, rpi1.instances], [6, 75, 1]);
});

test('property: for any allocation the dashboard shows the resource report numbers', () => {
  const names = cluster.nodes.map((n) => n.name);
  fc.assert(
    fc.property(fc.array(fc.record({ ram: fc.double({ min: 0.1, max: 80, noNaN: true }), node: fc.constantFrom(...names, 'gone') }), { maxLength: 12 }), (xs) => {
      const allocations = xs.map((x, k) => ({ instance: inst(`i${k}`, x.ram), node: x.node }));
      const views = nodeViews(inputs({ allocations, health: [] }));
      const report = resourceReport({ nodes: cluster.nodes, allocations: [], existing: allocations, status: {}, now: new Date() });
      for (const r of report.nodes) {
        const v = views.find((x) => x.name === r.name)!;
        assert.equal(v.ram.allocated_gb, r.ram_allocated_gb);
        assert.equal(v.ram.utilization_percent, r.ram_utilization_percent);
        assert.equal(v.instances, r.instances);
      }
    }),
    { numRuns: 200 },
  );
});

test('probe numbers: RAM used, load per core, GPU, disk, temperature, status', () => {
  const views = nodeViews(inputs());
  const j = views.find((v) => v.name === 'jetson')!;
  assert.equal(j.status, 'healthy');
  assert.equal(j.ram.used_gb, 30.5);
  assert.equal(j.ram.measured_total_gb, 61.4);
  assert.equal(j.cpu.load_1m, 6);
  assert.equal(j.cpu.cores, 12);
  assert.equal(j.cpu.load_per_core, 0.5);
  assert.deepEqual(j.gpu, { memory_used_gb: 30.5, memory_total_gb: 61.4, utilization_percent: 55, temperature_c: 48.5 });
  assert.deepEqual(j.disk, { free_gb: 100, total_gb: 250 });
  const rpi1 = views.find((v) => v.name === 'rpi1')!;
  assert.equal(rpi1.gpu, undefined, 'no GPU section on a node without one');
  assert.equal(rpi1.temperature_c, 61.2);
  assert.equal(views.find((v) => v.name === 'rpi2')!.status, 'maintenance', 'config maintenance wins');
  assert.equal(views.find((v) => v.name === 'ws')!.status, 'degraded');
  const unprobed = nodeViews(inputs({ health: [] })).find((v) => v.name === 'jetson')!;
  assert.equal(unprobed.status, 'unknown');
  assert.equal(unprobed.ram.used_gb, undefined);
  assert.equal(unprobed.cpu.cores, 12, 'cores from the config until probed');
  assert.equal(unprobed.gpu?.memory_total_gb, 32, 'GPU memory from the config until probed');
});

test('unusable probe numbers are left out, never shown as NaN', () => {
  const views = nodeViews(inputs({ health: [health('jetson', { ram_used_gb: Number.NaN, load_1m: Infinity, cpu_count: 0, disk_free_gb: -3 })] }));
  const j = views.find((v) => v.name === 'jetson')!;
  assert.equal(j.ram.used_gb, undefined);
  assert.equal(j.cpu.load_1m, undefined);
  assert.equal(j.cpu.load_per_core, undefined);
  assert.equal(j.disk.free_gb, undefined);
});

test('instance table: status, uptime, exit code, restarts, newest first', () => {
  const runs = [
    run('a', 'jetson', { started_at: '2025-11-16T10:00:00.000Z', status: 'exited', exit_code: 0, ended_at: '2025-11-16T10:30:05.000Z' }),
    run('b', 'rpi1', { started_at: '2025-11-16T11:00:00.000Z', status: 'crashed', exit_code: 137, restart_count: 2, ended_at: '2025-11-16T11:00:09.000Z' }),
    run('c', 'ws', { started_at: undefined, status: 'planned' }),
  ];
  const rows = instanceRows(runs);
  assert.deepEqual(rows.map((r) => r.instance_id), ['c', 'b', 'a']);
  const at = Date.parse('2025-11-16T12:00:00.000Z');
  assert.equal(uptimeSeconds(rows[0]!, at), undefined);
  assert.equal(uptimeSeconds(rows[1]!, at), 9);
  assert.equal(rows[1]!.exit_code, 137);
  assert.equal(rows[1]!.restarts, 2);
  assert.equal(uptimeSeconds(rows[2]!, at), 1805);
  const running = instanceRows([run('d', 'ws', { started_at: '2025-11-16T11:59:00.000Z' })])[0]!;
  assert.equal(uptimeSeconds(running, at), 60, 'a running instance ages with the clock');
  assert.deepEqual([formatDuration(undefined), formatDuration(9), formatDuration(1805), formatDuration(7322), formatDuration(90000)], ['–', '9s', '30m 05s', '2h 02m', '1d 1h']);
});

test('history ring: keeps the newest samples, pads nodes that appear late, nulls for nodes gone', () => {
  const ring = new HistoryRing(3);
  const v = nodeViews(inputs());
  ring.push(1000, v.filter((x) => x.name !== 'ws'));
  ring.push(2000, v);
  ring.push(3000, v.filter((x) => x.name !== 'rpi1'));
  ring.push(4000, v);
  const h = ring.toJSON();
  assert.deepEqual(h.t, [2000, 3000, 4000]);
  const ws = h.series.find((s) => s.node === 'ws')!;
  assert.equal(ws.load_percent.length, 3);
  assert.equal(ws.load_percent[0], 120);
  const rpi1 = h.series.find((s) => s.node === 'rpi1')!;
  assert.deepEqual(rpi1.ram_allocated_percent, [75, null, 75]);
  ring.resize(2);
  assert.deepEqual(ring.toJSON().t, [3000, 4000]);
  assert.throws(() => new HistoryRing(0), /capacity/);
  const j = historyPoint(v.find((x) => x.name === 'jetson')!);
  assert.deepEqual(j, { ram_used_percent: 49.7, ram_allocated_percent: 56.3, load_percent: 50, gpu_util_percent: 55 });
  assert.equal(historyCapacity(5), 1440);
  assert.equal(historyCapacity(1), 7200);
  assert.equal(historyCapacity(3600), 60);
});
