// Validating a generated workspace of 200 nodes and 500 instances (target < 20 ms, warm median).
import type { BenchContext } from './run';
import { parseDocument } from 'yaml';
import { validateWorkspace, type SourceText } from '../src/core/config/validate';

export function generateWorkspace(nodes: number, instances: number, files = 10): { cluster: SourceText; experiments: SourceText[] } {
  const c: string[] = ['cluster:', '  name: bench', '  description: generated for the validate benchmark', 'nodes:'];
  for (let i = 0; i < nodes; i++) {
    const gpu = i % 10 === 0;
    c.push(
      `  - name: node${i}`,
      `    host: 10.0.${i >> 8}.${i & 255}`,
      `    type: ${gpu ? 'jetson_orin' : 'raspberry_pi'}`,
      `    ram_gb: ${gpu ? '64.0' : '8.0'}`,
      `    gpu: ${gpu}`,
      ...(gpu ? ['    gpu_memory_gb: 64.0'] : []),
      `    cpu_cores: ${gpu ? 12 : 4}`,
      `    max_instances: ${gpu ? 4 : 1}`,
      `    reserved_ram_gb: ${gpu ? '8.0' : '1.0'}`,
      `    ssh_user: ${gpu ? 'jetson' : 'pi'}`,
      '    ssh_port: 22',
      '    ssh_key_path: ~/.ssh/id_rsa',
      `    remote_work_dir: /home/${gpu ? 'jetson' : 'pi'}/work  # deployed here`,
    );
  }
  c.push('run:', '  command: python3 experiment_runner.py --config {experiment_config_path}', 'failover:', '  policy: restart');
  const experiments: SourceText[] = [];
  const per = Math.ceil(instances / files);
  for (let f = 0; f < files; f++) {
    const e: string[] = [`name: experiment_${f}`, 'instances:'];
    for (let k = 0; k < per && f * per + k < instances; k++) {
      const i = f * per + k;
      e.push(`  - instance_id: inst_${i}`, `    ram_gb: ${(i % 6) + 0.5}`, `    gpu_preferred: ${i % 3 === 0}`, `    preferred_node: node${i % nodes}`);
      if (i % 5 === 0) e.push(`    anti_affinity: [inst_${(i + 1) % instances}]`);
      if (i % 7 === 0) e.push(`    affinity: [inst_${(i + 2) % instances}, "inst_${(i + 3) % instances}"]`);
      if (i % 11 === 0) e.push('    env:', `      SEED: "${i}"`);
    }
    experiments.push({ file: `experiments/e${f}.yaml`, text: e.join('\n') + '\n' });
  }
  return { cluster: { file: 'cluster.yaml', text: c.join('\n') + '\n' }, experiments };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export default async function (ctx: BenchContext): Promise<void> {
  const ws = generateWorkspace(200, 500);
  const bytes = ws.cluster.text.length + ws.experiments.reduce((n, e) => n + e.text.length, 0);
  const first = validateWorkspace(ws.cluster, ws.experiments);
  if (!first.model || first.diagnostics.length) throw new Error(`generated workspace is not valid: ${first.diagnostics[0]?.message ?? 'no model'}`);
  for (let k = 0; k < 5; k++) validateWorkspace(ws.cluster, ws.experiments);
  const times: number[] = [];
  const cpu: number[] = [];
  for (let k = 0; k < 25; k++) {
    const c = process.cpuUsage();
    const t = performance.now();
    validateWorkspace(ws.cluster, ws.experiments);
    times.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  const ours = median(times);
  ctx.report(`validate 200 nodes + 500 instances (${Math.round(bytes / 1024)} KB)`, ours, 'ms', 'median of 25 warm runs; target < 20 ms');
  ctx.report('  min', Math.min(...times), 'ms');
  ctx.report('  CPU time (median; wall time varies with machine load)', median(cpu), 'ms');
  // The standard tool for comparison: the `yaml` package only parsing the same files.
  const yamlTimes: number[] = [];
  for (let k = 0; k < 7; k++) {
    const t = performance.now();
    parseDocument(ws.cluster.text);
    for (const e of ws.experiments) parseDocument(e.text);
    yamlTimes.push(performance.now() - t);
  }
  const base = median(yamlTimes);
  ctx.report('  yaml.parseDocument alone, same files', base, 'ms', `full validation is ${(base / ours).toFixed(1)}x faster than parsing alone with the yaml package`);
}
