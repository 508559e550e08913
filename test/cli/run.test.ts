// clusterlab run / status / logs / stop through the built CLI on a copy of the demo workspace
// (examples/local: one `type: host` node, no SSH): the README's main job, the failing variant,
// reattach after the CLI is SIGKILLed, stop, logs and logs --fetch.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(__dirname, '../../dist/cli.js');
const root = mkdtempSync(join(tmpdir(), 'cl run cli '));
after(() => {
  // Leave no run behind, whatever happened.
  spawnSync(process.execPath, [CLI, 'stop', '--all', '--grace', '0'], { cwd: join(root, 'ws'), encoding: 'utf8' });
  rmSync(root, { recursive: true, force: true });
});

const ws = join(root, 'ws');
cpSync(resolve(__dirname, '../../examples/local'), ws, { recursive: true, filter: (p) => !/\/(\.clusterlab|logs)(\/|$)/.test(p) });

// The machine running the suite may be busy: give the health probe time.
appendFileSync(join(ws, 'cluster.yaml'), '\nhealth:\n  timeout_seconds: 20\n');

const FAST = { STEPS: '4', STEP_SECONDS: '0.1' };

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 90_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface StatusJson {
  runs: Array<{ run_id: string; instance_id: string; node: string; status: string; exit_code: number | null; started_at: string | null; ended_at: string | null; pid: number | null }>;
}
const status = (): StatusJson => JSON.parse(cli(['status', '--json']).out) as StatusJson;
const latest = (s: StatusJson, id: string) => s.runs.filter((r) => r.instance_id === id).pop();

test('run --auto-place --follow on the demo: placed, started, every line prefixed, exit 0; status --json agrees', () => {
  const r = cli(['run', '--experiments', 'experiments/split_brain.yaml', '--auto-place', '--follow'], FAST);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /Placement \(automatic\)/);
  assert.match(r.out, /split_brain_A +→ host/);
  assert.match(r.out, /host: runs in place/);
  for (const id of ['split_brain_A', 'split_brain_B']) {
    for (let k = 1; k <= 4; k++) assert.ok(r.out.includes(`[${id}@host] step ${k}/4 `), `${id} step ${k}`);
    assert.ok(r.out.includes(`[${id}@host] done: 4 steps`), `${id} done`);
    assert.match(r.out, new RegExp(`✓ ${id}@host exited\\(0\\)`));
    const line = r.out.split('\n').filter((l) => l.startsWith(`[${id}@host] step`));
    assert.equal(line.length, 4, 'no line repeated');
  }
  assert.match(r.out, /Summary: 2 of 2 run\(s\) exited 0/);
  const s = status();
  for (const id of ['split_brain_A', 'split_brain_B']) {
    const x = latest(s, id);
    assert.equal(x?.status, 'exited');
    assert.equal(x?.exit_code, 0);
    assert.equal(x?.node, 'host');
    assert.ok(x?.started_at && x.ended_at);
  }
  // Its log is there, and `logs` shows the whole run.
  const l = cli(['logs', 'split_brain_B']);
  assert.equal(l.code, 0, l.err);
  assert.match(l.out, /step 4\/4/);
  const t = cli(['logs', 'split_brain_B', '--tail', '1']);
  assert.equal(t.out, 'done: 4 steps, final loss 0.4096\n');
});

test('the failing variant: exit 1, failed(3) named in the summary and in status', () => {
  const r = cli(['run', '--experiments', 'experiments/prisoners_dilemma.yaml', '--follow'], { STEPS: '8', STEP_SECONDS: '0.05' });
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /player_b@host failed\(3\)/);
  assert.match(r.out, /Summary: 1 of 2 run\(s\) exited 0; player_b failed\(3\)/);
  assert.match(r.out, /\[player_b@host\] error: simulated failure at step 6/);
  assert.equal(latest(status(), 'player_b')?.status, 'failed');
  assert.equal(latest(status(), 'player_b')?.exit_code, 3);
});

test('reattach: the CLI is SIGKILLed mid-run, status still shows the run running, then exited; logs has every line', async () => {
  const child = spawn(process.execPath, [CLI, 'run', '--experiments', 'experiments/split_brain.yaml', '--placement', 'split_brain_A:host,split_brain_B:host', '--follow'], {
    cwd: ws,
    env: { ...process.env, STEPS: '15', STEP_SECONDS: '0.2' },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const t0 = Date.now();
  while (!out.includes('step 2/15')) {
    if (Date.now() - t0 > 20_000) throw new Error(`no progress: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(out, /\(manual\)/);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const s1 = status();
  assert.equal(latest(s1, 'split_brain_A')?.status, 'running');
  assert.equal(latest(s1, 'split_brain_B')?.status, 'running');
  // A second start is refused while they run.
  const again = cli(['run', '--experiments', 'experiments/split_brain.yaml', '--auto-place']);
  assert.equal(again.code, 1);
  assert.match(again.err, /split_brain_A is already running on node host/);
  // logs -f follows to the end, then exits.
  const f = cli(['logs', 'split_brain_A', '-f']);
  assert.equal(f.code, 0, f.err);
  for (let k = 1; k <= 15; k++) assert.ok(f.out.includes(`step ${k}/15 `), `step ${k}`);
  assert.match(f.err, /split_brain_A@host exited\(0\)/);
  const s2 = status();
  assert.equal(latest(s2, 'split_brain_A')?.status, 'exited');
  assert.equal(latest(s2, 'split_brain_B')?.status, 'exited');
});

test('stop INSTANCE and stop --all; logs --fetch copies every log to DIR/<node>/', () => {
  const r = cli(['run', '--experiments', 'experiments/hive_cluster.yaml', '--auto-place'], { STEPS: '200', STEP_SECONDS: '0.2' });
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /4 run\(s\) started and detached/);
  const one = cli(['stop', 'hive_critic']);
  assert.equal(one.code, 0, one.err);
  assert.match(one.out, /hive_critic@host: stopped\(143\) \(stopped with SIGTERM\)/);
  const all = cli(['stop', '--all']);
  assert.equal(all.code, 0, all.err);
  assert.equal((all.out.match(/^hive_\w+@host: stopped/gm) ?? []).length, 3, all.out);
  const s = status();
  for (const id of ['hive_historian', 'hive_critic', 'hive_optimist', 'hive_pessimist']) assert.equal(latest(s, id)?.status, 'stopped');
  const none = cli(['stop', 'hive_critic']);
  assert.equal(none.code, 1);
  assert.match(none.err, /hive_critic is not running/);
  const dest = join(root, 'fetched');
  const fetched = cli(['logs', '--fetch', dest]);
  assert.equal(fetched.code, 0, fetched.err);
  assert.match(fetched.out, /host: \d+ log file\(s\)/);
  assert.ok(existsSync(join(dest, 'host', 'hive_critic.log')));
  assert.match(readFileSync(join(dest, 'host', 'split_brain_A.log'), 'utf8'), /step 15\/15/);
});
