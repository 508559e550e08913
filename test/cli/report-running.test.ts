// Instances already running count: `clusterlab report` shows their RAM, and `clusterlab plan`
// places new instances around them (incremental placement), through the built CLI on a copy of
// the demo workspace with its local `host` node.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(__dirname, '../../dist/cli.js');
const root = mkdtempSync(join(tmpdir(), 'cl report running '));
const ws = join(root, 'ws');
cpSync(resolve(__dirname, '../../examples/local'), ws, { recursive: true, filter: (p) => !/\/(\.clusterlab|logs)(\/|$)/.test(p) });
appendFileSync(join(ws, 'cluster.yaml'), '\nhealth:\n  timeout_seconds: 20\n');
after(() => {
  spawnSync(process.execPath, [CLI, 'stop', '--all', '--grace', '0'], { cwd: ws, encoding: 'utf8' });
  rmSync(root, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 90_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Report {
  total_instances: number;
  nodes: Array<{ name: string; instances: number; ram_allocated_gb: number; max_instances: number }>;
}
interface Plan {
  placements: Array<{ instance_id: string; node: string }>;
  unplaced: Array<{ instance_id: string; reasons: Record<string, string> }>;
}

test('running instances are counted by report and placed around by plan', () => {
  // The host node holds 16 GB, 2 reserved, at most 4 instances. Start two long runs (6 + 5 GB).
  writeFileSync(join(ws, 'experiments', 'big.yaml'), 'instances:\n  - instance_id: big_a\n    ram_gb: 6\n  - instance_id: big_b\n    ram_gb: 5\n');
  const started = cli(['run', '--experiments', 'experiments/big.yaml', '--auto-place'], { STEPS: '600', STEP_SECONDS: '0.1' });
  assert.equal(started.code, 0, started.out + started.err);

  const idle = JSON.parse(cli(['report', '--json']).out) as Report;
  const host = idle.nodes.find((n) => n.name === 'host');
  assert.equal(host?.instances, 2);
  assert.equal(host?.ram_allocated_gb, 11);
  assert.equal(idle.total_instances, 2);

  // 11 of 14 GB are taken: a 2 GB instance still fits, then a 4 GB one no longer does.
  writeFileSync(join(ws, 'experiments', 'more.yaml'), 'instances:\n  - instance_id: more_4\n    ram_gb: 4\n  - instance_id: more_2\n    ram_gb: 2\n');
  const p = cli(['plan', '--experiments', 'experiments/more.yaml', '--json']);
  assert.equal(p.code, 1, p.out + p.err);
  const planned = JSON.parse(p.out) as Plan;
  assert.deepEqual(planned.placements.map((x) => [x.instance_id, x.node]), [['more_2', 'host']]);
  assert.equal(planned.unplaced[0]?.instance_id, 'more_4');
  assert.match(planned.unplaced[0]!.reasons.host!, /needs 4 GB, 1 GB free after reserve .*13 GB allocated/);

  // The report with the new experiments counts both the running and the planned instances.
  const withPlan = JSON.parse(cli(['report', '--json', '--experiments', 'experiments/more.yaml']).out) as Report;
  assert.equal(withPlan.nodes.find((n) => n.name === 'host')?.ram_allocated_gb, 13);

  // Once stopped, they no longer count.
  assert.equal(cli(['stop', '--all', '--grace', '0']).code, 0);
  const after = JSON.parse(cli(['report', '--json']).out) as Report;
  assert.equal(after.nodes.find((n) => n.name === 'host')?.ram_allocated_gb, 0);
});
