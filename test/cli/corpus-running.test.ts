// Bad input never costs a running experiment: start the demo on the local host node (no
// --follow), throw bad input at status, plan, run, stop and logs, and check after each that both
// runs are still alive with their records intact; then stop them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const CLI = resolve(__dirname, '../../dist/cli.js');
const root = mkdtempSync(join(tmpdir(), 'cl-corpus-running-'));
const ws = join(root, 'ws');
cpSync(resolve(__dirname, '../../examples/local'), ws, { recursive: true, filter: (p) => !/\/(\.clusterlab|logs)(\/|$)/.test(p) });
after(() => {
  spawnSync(process.execPath, [CLI, 'stop', '--all', '--grace', '0'], { cwd: ws, encoding: 'utf8' });
  rmSync(root, { recursive: true, force: true });
});

// Long enough to outlive every bad command below (1200 × 0.1 s).
const SLOW = { STEPS: '1200', STEP_SECONDS: '0.1' };

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', env: { ...process.env, SSH_AUTH_SOCK: '', ...env }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Rec {
  run_id: string;
  instance_id: string;
  node: string;
  status: string;
  pid?: number;
  pgid?: number;
  started_at?: string;
  command: string;
  config_hash: string;
  log_path: string;
}

const recordsDir = () => join(ws, '.clusterlab', 'runs');
function records(): Rec[] {
  return readdirSync(recordsDir())
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => JSON.parse(readFileSync(join(recordsDir(), n), 'utf8')) as Rec);
}
const essentials = (r: Rec) => ({ run_id: r.run_id, instance_id: r.instance_id, node: r.node, status: r.status, pid: r.pid, pgid: r.pgid, started_at: r.started_at, command: r.command, config_hash: r.config_hash, log_path: r.log_path });

test('bad input at status, plan, run, stop and logs loses nothing that is running', () => {
  const started = cli(['run', '--experiments', 'experiments/split_brain.yaml', '--auto-place'], SLOW);
  assert.equal(started.code, 0, started.out + started.err);
  const before = records();
  assert.equal(before.length, 2);
  for (const r of before) {
    assert.equal(r.status, 'running', JSON.stringify(r));
    assert.ok(r.pid && alive(r.pid), `${r.instance_id} pid ${r.pid} alive`);
  }

  writeFileSync(join(ws, 'broken.yaml'), 'cluster:\n  name: x\nnodes:\n  - name: host\n    type: host\n    ram_gb: -4\n');
  writeFileSync(join(ws, 'arr.json'), '[1,2,3]\n');
  writeFileSync(join(ws, 'bomb.yaml'), 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n');
  writeFileSync(join(ws, 'h.json'), '{"host": on fire}');
  const pairs = Array.from({ length: 10_000 }, (_, i) => `x${i}:host`).join(',');
  const bad: Array<[string[], number]> = [
    [['status', '--cluster', 'broken.yaml'], 1],
    [['status', '--bogus'], 2],
    [['status', '--cluster', 'arr.json'], 1],
    [['plan', '--experiments', 'bomb.yaml'], 2],
    [['plan', '--experiments', 'experiments/split_brain.yaml', '--placement', pairs], 2],
    [['plan', '--experiments', 'experiments/split_brain.yaml', '--health', 'h.json'], 2],
    [['run', '--experiments', 'experiments/split_brain.yaml', '--auto-place'], 1], // already running: refused
    [['run', '--experiments', 'arr.json'], 1],
    [['run', '--experiments', 'experiments/split_brain.yaml', '--placement', 'split_brain_A:'], 1],
    [['stop'], 2],
    [['stop', 'split_brain_A', '--all'], 2],
    [['stop', '--all', '--grace', 'abc'], 2],
    [['stop', 'nobody'], 1],
    [['stop', '--all', '--cluster', 'broken.yaml'], 1],
    [['logs'], 2],
    [['logs', 'nobody'], 1],
    [['logs', 'split_brain_A', '--tail', 'lots'], 2],
    [['logs', 'split_brain_A', 'split_brain_B'], 2],
  ];
  for (const [args, code] of bad) {
    const r = cli(args, SLOW);
    const what = `clusterlab ${args.join(' ').slice(0, 80)}`;
    assert.equal(r.code, code, `${what}: exit ${r.code}\n${r.out}${r.err}`.slice(0, 3000));
    assert.doesNotMatch(r.out + r.err, /^\s+at .+[:(]\d+|TypeError|\[object Object\]/m, what);
    // Both runs still alive, their records intact and still running.
    const now = records();
    assert.deepEqual(now.map(essentials), before.map(essentials), `records changed after ${what}`);
    for (const rec of now) assert.ok(rec.pid && alive(rec.pid), `${rec.instance_id} died after ${what}`);
  }
  // The runs kept working all along: status agrees and the log grew.
  const s = JSON.parse(cli(['status', '--json']).out) as { runs: Array<{ instance_id: string; status: string }> };
  assert.deepEqual(s.runs.map((r) => [r.instance_id, r.status]).sort(), [['split_brain_A', 'running'], ['split_brain_B', 'running']]);
  const logs = cli(['logs', 'split_brain_A', '--tail', '3']);
  assert.equal(logs.code, 0, logs.err);
  assert.match(logs.out, /step \d+\/1200/);

  const stopped = cli(['stop', '--all', '--grace', '2']);
  assert.equal(stopped.code, 0, stopped.out + stopped.err);
  for (const rec of records()) {
    assert.equal(rec.status, 'stopped', JSON.stringify(rec));
    assert.ok(!rec.pid || !alive(rec.pid), `${rec.instance_id} still alive after stop`);
  }
});
