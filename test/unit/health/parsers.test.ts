import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kbToGb, parseArch, parseCpuCount, parseDf, parseLoadavg, parseMeminfo, parseNvidiaSmi, parseTegrastats, parseThermalZones, parseVcgencmd } from '../../../src/core/health/parsers';

const fx = (name: string) => readFileSync(join(__dirname, '../../fixtures/probe', name), 'utf8');

test('meminfo of a Raspberry Pi 5 8 GB', () => {
  const m = parseMeminfo(fx('meminfo-pi5-8gb.txt'));
  assert.ok(m);
  assert.equal(m.total_kb, 8245328);
  assert.equal(m.available_kb, 7324416);
  assert.equal(m.swap_total_kb, 524272);
  assert.ok(Math.abs(kbToGb(m.total_kb) - 7.86) < 0.01);
});

test('meminfo of a Jetson AGX Orin 64 GB', () => {
  const m = parseMeminfo(fx('meminfo-jetson-orin-agx-64gb.txt'));
  assert.ok(m);
  assert.equal(m.total_kb, 64349312);
  assert.equal(m.available_kb, 59081704);
  assert.ok(kbToGb(m.total_kb) > 61 && kbToGb(m.total_kb) < 62);
});

test('meminfo without MemAvailable (old kernel) estimates it from free + buffers + cache', () => {
  const m = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\n');
  assert.deepEqual(m, { total_kb: 1000, free_kb: 100, available_kb: 350 });
});

test('meminfo garbage gives undefined', () => {
  assert.equal(parseMeminfo(''), undefined);
  assert.equal(parseMeminfo('MemTotal: lots\n'), undefined);
  assert.equal(parseMeminfo('cat: /proc/meminfo: No such file or directory'), undefined);
});

test('loadavg', () => {
  assert.deepEqual(parseLoadavg(fx('loadavg-jetson.txt')), { load_1m: 0.52, load_5m: 0.58, load_15m: 0.59, running: 2, total_tasks: 1043 });
  assert.equal(parseLoadavg('junk'), undefined);
});

test('nproc and uname -m', () => {
  assert.equal(parseCpuCount('12\n'), 12);
  assert.equal(parseCpuCount('nproc: not found\n'), undefined);
  assert.equal(parseArch('aarch64\n'), 'aarch64');
  assert.equal(parseArch(''), undefined);
});

test('df -Pk on a Pi and a Jetson', () => {
  assert.deepEqual(parseDf(fx('df-pk-pi5.txt')), { filesystem: '/dev/mmcblk0p2', total_kb: 60281028, used_kb: 11243920, available_kb: 45937904, mount: '/' });
  const j = parseDf(fx('df-pk-jetson-nvme.txt'));
  assert.equal(j?.available_kb, 433275868);
});

test('df -Pk with a mount point holding a space', () => {
  const d = parseDf(fx('df-pk-nearly-full.txt'));
  assert.equal(d?.mount, '/mnt/data disk');
  assert.equal(d?.available_kb, 852480);
});

test('df with only a header, or an error, gives undefined', () => {
  assert.equal(parseDf(fx('df-pk-header-only.txt')), undefined);
  assert.equal(parseDf("df: /nope: No such file or directory\n"), undefined);
});

test('nvidia-smi of a desktop GPU', () => {
  const r = parseNvidiaSmi(fx('nvidia-smi-rtx4090.csv'));
  assert.equal(r.error, undefined);
  assert.equal(r.gpus.length, 1);
  const g = r.gpus[0];
  assert.equal(g?.name, 'NVIDIA GeForce RTX 4090');
  assert.ok(Math.abs((g?.memory_total_gb ?? 0) - 23.988) < 0.01);
  assert.ok(Math.abs((g?.memory_used_gb ?? 0) - 1.829) < 0.01);
  assert.equal(g?.utilization_percent, 7);
  assert.equal(g?.temperature_c, 41);
  assert.equal(g?.source, 'nvidia-smi');
});

test('nvidia-smi with two GPUs', () => {
  const r = parseNvidiaSmi(fx('nvidia-smi-two-gpus.csv'));
  assert.deepEqual(
    r.gpus.map((g) => [g.name, g.utilization_percent, g.temperature_c]),
    [
      ['NVIDIA RTX A6000', 98, 83],
      ['NVIDIA GeForce RTX 3090', 0, 34],
    ],
  );
});

test('nvidia-smi [N/A] and [Not Supported] fields are left out, not zero', () => {
  const r = parseNvidiaSmi(fx('nvidia-smi-not-supported.csv'));
  assert.equal(r.gpus.length, 1);
  assert.equal(r.gpus[0]?.memory_used_gb, undefined);
  assert.equal(r.gpus[0]?.utilization_percent, undefined);
  assert.equal(r.gpus[0]?.temperature_c, 52);
});

test('nvidia-smi driver failure gives no GPU and the message', () => {
  const r = parseNvidiaSmi(fx('nvidia-smi-driver-failed.txt'));
  assert.equal(r.gpus.length, 0);
  assert.match(r.error ?? '', /couldn't communicate with the NVIDIA driver/);
});

test('tegrastats, JetPack 5 format (capitalised sensors, -256C absent sensors)', () => {
  const t = parseTegrastats(fx('tegrastats-orin-agx-jp5.txt'));
  assert.ok(t);
  assert.equal(t.ram_used_mb, 5102);
  assert.equal(t.ram_total_mb, 62841);
  assert.equal(t.temperature_c, 47.5);
  assert.equal(t.temperatures.cv0, undefined, 'absent sensors (-256C) are dropped');
  assert.equal(t.gpu?.utilization_percent, 0);
  assert.equal(t.gpu?.temperature_c, 43.843);
  assert.equal(t.gpu?.source, 'tegrastats');
  assert.ok(Math.abs((t.gpu?.memory_total_gb ?? 0) - 61.37) < 0.01);
});

test('tegrastats, JetPack 6 format', () => {
  const t = parseTegrastats(fx('tegrastats-orin-agx-jp6.txt'));
  assert.ok(t);
  assert.equal(t.ram_used_mb, 5137);
  assert.equal(t.temperature_c, 52.875);
  assert.equal(t.gpu?.utilization_percent, 0);
  assert.equal(t.gpu?.temperature_c, 52.875, 'no gpu sensor: junction temperature');
});

test('tegrastats, r36.4 per-GPC format', () => {
  const t = parseTegrastats(fx('tegrastats-orin-agx-r36.4.txt'));
  assert.equal(t?.gpu?.utilization_percent, 61);
  assert.equal(t?.gpu?.temperature_c, 50.1);
  assert.equal(t?.ram_used_mb, 18207);
});

test('tegrastats garbage gives undefined', () => {
  assert.equal(parseTegrastats(''), undefined);
  assert.equal(parseTegrastats('tegrastats: command not found'), undefined);
});

test('vcgencmd on a Pi 5', () => {
  assert.deepEqual(parseVcgencmd(fx('vcgencmd-pi5-ok.txt')), { temperature_c: 52.7, throttled: '0x0', throttled_flags: [] });
  const uv = parseVcgencmd(fx('vcgencmd-pi5-undervoltage.txt'));
  assert.equal(uv.temperature_c, 81.2);
  assert.deepEqual(uv.throttled_flags, ['under-voltage detected', 'currently throttled', 'under-voltage has occurred', 'throttling has occurred']);
  assert.deepEqual(parseVcgencmd(fx('vcgencmd-no-permission.txt')), {});
});

test('thermal zones: the CPU zone, else the hottest', () => {
  assert.equal(parseThermalZones('acpitz 27800\nx86_pkg_temp 45000\n'), 45);
  assert.equal(parseThermalZones('cpu-thermal 51250\n'), 51.25);
  assert.equal(parseThermalZones('zoneA 30000\nzoneB 41000\n'), 41);
  assert.equal(parseThermalZones('cpu-thermal \n'), undefined);
});
