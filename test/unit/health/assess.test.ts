import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { nodeSchema, type NodeConfig } from '../../../src/core/config/schema';
import { assessHealth, unavailableHealth } from '../../../src/core/health/assess';
import { MARKER, parseProbeOutput } from '../../../src/core/health/probeOutput';
import { healthReportJson, parseHealthReport, renderHealthReport } from '../../../src/core/health/report';

const fx = (name: string) => readFileSync(join(__dirname, '../../fixtures/probe', name), 'utf8');
const node = (o: Record<string, unknown>): NodeConfig => nodeSchema.parse(o);

/** A probe output assembled the way the script prints it. */
function probeText(sections: Array<[string, string]>, complete = true): string {
  const parts = [`${MARKER}probe 1`];
  for (const [name, body] of sections) parts.push(`${MARKER}${name}`, body.trimEnd());
  if (complete) parts.push(`${MARKER}end`);
  return parts.join('\n') + '\n';
}

const pi5 = () =>
  probeText([
    ['meminfo', fx('meminfo-pi5-8gb.txt')],
    ['loadavg', '0.08 0.03 0.01 1/245 2210'],
    ['nproc', '4'],
    ['arch', 'aarch64'],
    ['df /home/pi/brain-in-jar', fx('df-pk-pi5.txt')],
    ['vcgencmd', fx('vcgencmd-pi5-ok.txt')],
    ['thermal', 'cpu-thermal 52650'],
    ['runs', 'run\tsplit_A-20260101\t4242\t1\t\nrun\told run\t4000\t0\t137'],
  ]);

const jetson = (tegra = 'tegrastats-orin-agx-jp6.txt') =>
  probeText([
    ['meminfo', fx('meminfo-jetson-orin-agx-64gb.txt')],
    ['loadavg', fx('loadavg-jetson.txt')],
    ['nproc', '12'],
    ['arch', 'aarch64'],
    ['df /home/nvidia/work', fx('df-pk-jetson-nvme.txt')],
    ['tegrastats', fx(tegra)],
    ['thermal', 'cpu-thermal 52875\ntj-thermal 52875'],
    ['runs', ''],
  ]);

const piNode = node({ name: 'rpi1', host: '192.168.1.101', type: 'raspberry_pi', ram_gb: 8, max_instances: 1 });
const jetsonNode = node({ name: 'jetson', host: '192.168.1.100', type: 'jetson_orin', ram_gb: 64, gpu: true, gpu_memory_gb: 64, max_instances: 4 });

test('a Raspberry Pi 5 probe: healthy, figures, runs', () => {
  const m = parseProbeOutput(pi5());
  assert.equal(m.complete, true);
  assert.deepEqual(m.warnings, []);
  const h = assessHealth(piNode, m, { latencyMs: 12.34 });
  assert.equal(h.status, 'healthy');
  assert.equal(h.reason, undefined);
  assert.equal(h.ram_total_gb, 7.86);
  assert.equal(h.ram_used_gb, 0.88);
  assert.equal(h.cpu_count, 4);
  assert.equal(h.arch, 'aarch64');
  assert.equal(h.temperature_c, 52.7, 'vcgencmd wins over thermal zones');
  assert.equal(h.throttled, '0x0');
  assert.equal(h.disk_path, '/home/pi/brain-in-jar');
  assert.equal(h.latency_ms, 12.3);
  assert.deepEqual(h.warnings, []);
  assert.deepEqual(h.runs, [
    { run_id: 'split_A-20260101', pid: 4242, alive: true },
    { run_id: 'old run', pid: 4000, alive: false, exit_code: 137 },
  ]);
});

test('a Jetson AGX Orin probe in each tegrastats format: healthy with the integrated GPU', () => {
  for (const f of ['tegrastats-orin-agx-jp5.txt', 'tegrastats-orin-agx-jp6.txt', 'tegrastats-orin-agx-r36.4.txt']) {
    const h = assessHealth(jetsonNode, parseProbeOutput(jetson(f)));
    assert.equal(h.status, 'healthy', f);
    assert.equal(h.gpu?.source, 'tegrastats', f);
    assert.deepEqual(h.warnings, [], f);
    assert.equal(h.ram_total_gb, 61.37);
  }
});

test('RAM over 90% used makes a node degraded', () => {
  const text = pi5().replace(fx('meminfo-pi5-8gb.txt').trimEnd(), fx('meminfo-pi5-nearly-full.txt').trimEnd());
  const h = assessHealth(piNode, parseProbeOutput(text));
  assert.equal(h.status, 'degraded');
  assert.match(h.reason ?? '', /^RAM 95% used \(7\.5 of 7\.9 GB, over 90%\)$/);
});

test('a nearly full disk makes a node degraded (under 1 GB free)', () => {
  const text = pi5().replace(`df /home/pi/brain-in-jar\n${fx('df-pk-pi5.txt').trimEnd()}`, `df /mnt/data disk/w\n${fx('df-pk-nearly-full.txt').trimEnd()}`);
  const h = assessHealth(piNode, parseProbeOutput(text));
  assert.equal(h.status, 'degraded');
  assert.match(h.reason ?? '', /disk nearly full: 0\.8 GB free \(2\.8%\) at \/mnt\/data disk\/w/);
});

test('the disk threshold: under 5% free degrades even with many GB free', () => {
  const df = 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sdb1 4000000000 3850000000 150000000 97% /data\n';
  const h = assessHealth(piNode, parseProbeOutput(pi5().replace(fx('df-pk-pi5.txt').trimEnd(), df.trimEnd())));
  assert.equal(h.status, 'degraded');
  assert.ok((h.disk_free_gb ?? 0) > 100);
});

test('maintenance from the config and from an override', () => {
  const m = parseProbeOutput(pi5());
  const inConfig = assessHealth({ ...piNode, status: 'maintenance' }, m);
  assert.equal(inConfig.status, 'maintenance');
  assert.match(inConfig.reason ?? '', /status: maintenance/);
  assert.equal(inConfig.ram_total_gb, 7.86, 'figures are still shown');
  const over = assessHealth(piNode, m, { overrides: new Map([['rpi1', 'replacing the SD card']]) });
  assert.equal(over.status, 'maintenance');
  assert.equal(over.reason, 'in maintenance: replacing the SD card');
  assert.equal(assessHealth(piNode, m, { overrides: { other: '' } }).status, 'healthy');
  const down = unavailableHealth(piNode, 'connection refused', { overrides: { rpi1: '' } });
  assert.equal(down.status, 'maintenance');
  assert.match(down.reason ?? '', /unreachable: connection refused/);
});

test('unreachable is unavailable with the reason and hint', () => {
  const h = unavailableHealth(piNode, 'host key changed (known_hosts line 3)', { hint: 'Run ssh-keygen -R' });
  assert.equal(h.status, 'unavailable');
  assert.equal(h.host, '192.168.1.101');
  assert.equal(h.reason, 'host key changed (known_hosts line 3)');
  assert.equal(h.hint, 'Run ssh-keygen -R');
});

test('a failing probe script is degraded "probe failed", not unavailable', () => {
  const h = assessHealth(piNode, parseProbeOutput(''), { exitCode: 127, stderr: 'sh: not found\n' });
  assert.equal(h.status, 'degraded');
  assert.equal(h.reason, 'probe failed: the probe script exited with 127: sh: not found');
  const junk = assessHealth(piNode, parseProbeOutput('Welcome to my box!\nThis is not a probe\n'), { exitCode: 0 });
  assert.equal(junk.status, 'degraded');
  assert.match(junk.reason ?? '', /^probe failed: probe output not recognised: Welcome to my box!/);
});

test('warnings: less RAM, another architecture, no GPU, fewer cores', () => {
  const declared = node({ name: 'rpi9', host: 'h', type: 'raspberry_pi', ram_gb: 16, cpu_cores: 8, gpu: true });
  const text = pi5().replace(`${MARKER}arch\naarch64`, `${MARKER}arch\nx86_64`);
  const h = assessHealth(declared, parseProbeOutput(text));
  assert.equal(h.status, 'healthy');
  assert.deepEqual(h.warnings, [
    'declares 16 GB RAM, reports 7.9 GB',
    'declares 8 CPU cores, reports 4',
    'type raspberry_pi implies aarch64, node reports x86_64',
    'config says gpu: true but no GPU was found (no working nvidia-smi or tegrastats)',
  ]);
  // MemTotal a little under the nominal size (8 GB -> 7.86 GB) is no warning.
  assert.deepEqual(assessHealth(piNode, parseProbeOutput(pi5())).warnings, []);
});

test('a broken nvidia-smi on a GPU node: a warning with its message, never a throw', () => {
  const gpuNode = node({ name: 'ws', host: 'ws', type: 'generic', ram_gb: 8, gpu: true });
  const text = probeText([
    ['meminfo', fx('meminfo-pi5-8gb.txt')],
    ['nvidia-smi rc=9', fx('nvidia-smi-driver-failed.txt')],
  ]);
  const h = assessHealth(gpuNode, parseProbeOutput(text));
  assert.equal(h.status, 'healthy');
  assert.ok(h.warnings.some((w) => /^nvidia-smi failed \(exit 9\): NVIDIA-SMI has failed because it couldn't communicate/.test(w)), h.warnings.join(' | '));
  assert.ok(h.warnings.some((w) => /gpu: true but no GPU/.test(w)));
});

test('GPU memory below the declared size warns (nvidia-smi)', () => {
  const gpuNode = node({ name: 'ws', host: 'ws', type: 'generic', ram_gb: 8, gpu: true, gpu_memory_gb: 48 });
  const text = probeText([
    ['meminfo', fx('meminfo-pi5-8gb.txt')],
    ['nvidia-smi rc=0', fx('nvidia-smi-rtx4090.csv')],
  ]);
  const h = assessHealth(gpuNode, parseProbeOutput(text));
  assert.equal(h.gpu?.name, 'NVIDIA GeForce RTX 4090');
  assert.deepEqual(h.warnings, ['declares 48 GB GPU memory, reports 24 GB']);
});

test('truncated output: what was parsed, plus a warning', () => {
  const full = jetson();
  const cut = full.slice(0, full.indexOf(`${MARKER}df`) + 10);
  const m = parseProbeOutput(cut);
  assert.equal(m.complete, false);
  assert.ok(m.memory);
  assert.equal(m.cpu_count, 12);
  assert.ok(m.warnings.includes('probe output was cut short; some measurements are missing'));
  const h = assessHealth(jetsonNode, m);
  assert.equal(h.status, 'healthy');
  assert.ok(h.warnings.length > 0);
});

test('no RAM figures (meminfo missing) counts as a failed probe', () => {
  const h = assessHealth(piNode, parseProbeOutput(probeText([['loadavg', '0.1 0.1 0.1 1/1 1']])));
  assert.equal(h.status, 'degraded');
  assert.equal(h.reason, 'probe failed: no RAM figures in the probe output');
});

test('property: any text, any cut of a real probe, any binary junk: parse and assess never throw', () => {
  const real = [pi5(), jetson()];
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), fc.nat(), fc.uint8Array({ maxLength: 300 }), fc.boolean(), (s, cut, bytes, gpu) => {
      const samples = [s, real[cut % 2]!.slice(0, cut % 3000), Buffer.from(bytes).toString('utf8'), real[0]!.slice(0, cut % 2000) + s, `${MARKER}probe 1\n${MARKER}meminfo\n${s}`];
      for (const t of samples) {
        const m = parseProbeOutput(t);
        const h = assessHealth({ ...piNode, gpu }, m, { exitCode: 0 });
        assert.ok(['healthy', 'degraded'].includes(h.status));
        JSON.parse(healthReportJson([h]));
      }
    }),
    { numRuns: 300 },
  );
});

test('JSON report round-trips through parseHealthReport, reason always present', () => {
  const a = assessHealth(piNode, parseProbeOutput(pi5()));
  const b = unavailableHealth(jetsonNode, 'connection refused');
  const json = healthReportJson([a, b]);
  const data = JSON.parse(json) as { nodes: Array<Record<string, unknown>> };
  assert.equal(data.nodes[0]?.reason, null);
  assert.equal(data.nodes[0]?.status, 'healthy');
  assert.equal(data.nodes[1]?.reason, 'connection refused');
  assert.equal(typeof data.nodes[0]?.ram_total_gb, 'number');
  const back = parseHealthReport(json);
  assert.equal(back[1]?.status, 'unavailable');
  assert.equal(back[0]?.reason, undefined);
  assert.throws(() => parseHealthReport('{"nodes":[{"name":"x","host":"h","status":"sleepy"}]}'), /nodes\.0\.status/);
  assert.throws(() => parseHealthReport('nope'), /not JSON/);
});

test('table: the seed columns then the measured ones, reasons and summary', () => {
  const a = assessHealth(piNode, parseProbeOutput(pi5()), { latencyMs: 8 });
  const b = unavailableHealth(jetsonNode, 'connection refused');
  const text = renderHealthReport([jetsonNode, piNode], [a, b]);
  const lines = text.split('\n');
  assert.match(lines.find((l) => l.startsWith('┃')) ?? '', /┃ Node +┃ Host +┃ Status +┃ RAM \(GB\) ┃ GPU ┃ Max Instances ┃ RAM used\/total ┃/);
  assert.match(text, /│ jetson +│ 192\.168\.1\.100 +│ unavailable +│ 64 +│ ✓ +│ 4 +│/);
  assert.match(text, /│ rpi1 +│ 192\.168\.1\.101 +│ healthy +│ 8 +│ ✗ +│ 1 +│ 0\.9\/7\.9 +│ 0\.08 +│ 43\.8 +│ – +│ 53°C +│ 8 ms +│/);
  assert.match(text, /jetson: unavailable: connection refused/);
  assert.match(text, /✗ 1 of 2 nodes are not healthy\n$/);
  assert.match(renderHealthReport([piNode], [a]), /✓ All 1 nodes are healthy\n$/);
});
