import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { canTransition, describeStatus, initialRecord, isTerminal, transition } from '../../../src/core/runs/stateMachine';
import { renderCommand, TemplateError, placeholdersOf } from '../../../src/core/runs/template';
import { reconcile } from '../../../src/core/runs/reconcile';
import { isSafeRunId, logFileName, makeRunId, remoteLogPath, remoteRunDir } from '../../../src/core/runs/ids';
import { experimentConfigPath, nodeWorkDir, planCommand } from '../../../src/core/runs/plan';
import { clusterFileSchema, instanceSchema } from '../../../src/core/config/schema';
import { RUN_STATUSES, type RunRecord, type RunStatus } from '../../../src/core/runs/types';

const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-01T00:00:05.000Z';

function rec(status: RunStatus = 'running', over: Partial<RunRecord> = {}): RunRecord {
  const base = initialRecord(
    { run_id: 'r1', instance_id: 'a', node: 'n1', command: 'x', env: {}, config_hash: 'h', remote_work_dir: '/w', remote_run_dir: '/w/.clusterlab/runs/r1', log_path: '/w/logs/a.log', restart_count: 0, started_at: T0 },
    'starting',
    'start',
    T0,
  );
  const r = status === 'starting' ? base : status === 'lost' ? transition(transition(base, 'running', 'up', T0), 'lost', 'gone', T0) : transition(base, status, 'setup', T0);
  return { ...r, ...over };
}

test('state machine: terminal statuses never change, every transition is recorded', () => {
  for (const s of RUN_STATUSES) {
    if (isTerminal(s)) for (const t of RUN_STATUSES) assert.equal(canTransition(s, t), false, `${s} -> ${t}`);
  }
  const r = transition(rec('running'), 'exited', 'done', T1, { exit_code: 0 });
  assert.equal(r.status, 'exited');
  assert.equal(r.ended_at, T1);
  assert.deepEqual(r.transitions.map((t) => [t.from, t.to]), [[null, 'starting'], ['starting', 'running'], ['running', 'exited']]);
  assert.throws(() => transition(r, 'running', 'again', T1), /cannot go from exited to running/);
  assert.equal(describeStatus(r), 'exited(0)');
});

test('template: every placeholder value is one shell word, whatever it holds', () => {
  const nasty = ["a b", "it's", '$(touch /tmp/pwned)', '`id`', 'x;rm -rf /', 'new\nline', '"dq"', ''];
  for (const v of nasty) {
    const cmd = renderCommand('printf "%s|" {instance_id} {node}', { instance_id: v, node: 'n 1' });
    const r = spawnSync('sh', ['-c', cmd]);
    assert.equal(r.stdout.toString(), `${v}|n 1|`, `value ${JSON.stringify(v)}`);
  }
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !s.includes('\0')), (v) => {
      const r = spawnSync('sh', ['-c', renderCommand('printf "%s" {experiment_config_path}', { experiment_config_path: v })]);
      return r.stdout.toString() === v;
    }),
    { numRuns: 40 },
  );
});

test('template: unknown and missing placeholders are refused; ${VAR} is left to the shell', () => {
  assert.throws(() => renderCommand('run {instance}', { instance_id: 'a' }), (e: unknown) => e instanceof TemplateError && /unknown placeholder \{instance\}/.test(e.message));
  assert.throws(() => renderCommand('run --resume {checkpoint_dir}', {}), /checkpoint_dir/);
  assert.equal(renderCommand('echo ${HOME} {node}', { node: 'n1' }), 'echo ${HOME} n1');
  assert.deepEqual(placeholdersOf('{a} ${B} {a} {c}'), ['a', 'c']);
});

test('reconcile: exit code, alive, gone, missing dir, unreachable and back', () => {
  const obs = (runs: Record<string, { alive: boolean; exit_code?: number; present?: boolean }>) => ({
    reachable: true as const,
    runs: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, { run_id: k, present: v.present ?? true, alive: v.alive, ...(v.exit_code !== undefined ? { exit_code: v.exit_code } : {}) }])),
  });
  const cases: Array<[RunStatus, ReturnType<typeof obs> | { reachable: false; reason: string }, RunStatus, number | undefined]> = [
    ['running', obs({ r1: { alive: false, exit_code: 0 } }), 'exited', 0],
    ['running', obs({ r1: { alive: false, exit_code: 2 } }), 'failed', 2],
    ['running', obs({ r1: { alive: false } }), 'crashed', undefined],
    ['starting', obs({ r1: { alive: true } }), 'running', undefined],
    ['running', obs({ r1: { alive: false, present: false } }), 'crashed', undefined],
    ['running', { reachable: false, reason: 'connection refused' }, 'lost', undefined],
    ['lost', obs({ r1: { alive: true } }), 'running', undefined],
    ['lost', obs({ r1: { alive: false, exit_code: 0 } }), 'exited', 0],
  ];
  for (const [from, o, to, code] of cases) {
    const { records, changes } = reconcile([rec(from)], { n1: o }, T1);
    assert.equal(records[0]?.status, to, `${from} + ${JSON.stringify(o)}`);
    assert.equal(records[0]?.exit_code, code);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]?.from, from);
  }
  // No change → same object, no change entry; terminal records and unprobed nodes untouched.
  const running = rec('running');
  const same = reconcile([running, rec('exited')], { n1: obs({ r1: { alive: true } }) }, T1);
  assert.equal(same.records[0], running);
  assert.equal(same.changes.length, 0);
  assert.equal(reconcile([running], {}, T1).records[0], running);
  const lost = rec('lost');
  assert.equal(reconcile([lost], { n1: { reachable: false, reason: 'x' } }, T1).changes.length, 0);
});

test('ids and paths: run ids are safe file names whatever the instance id', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), fc.string({ maxLength: 10 }), (inst, suffix) => isSafeRunId(makeRunId(inst, new Date(T0), suffix))),
  );
  assert.equal(makeRunId("brain 'A'", new Date(T0), 'ab12'), '20250101T000000Z-brain_A_-ab12');
  assert.equal(remoteRunDir('/w/', 'r1'), '/w/.clusterlab/runs/r1');
  assert.equal(remoteLogPath('/w', 'x/y'), '/w/logs/x_y.log');
  assert.equal(logFileName('..'), '_.log');
});

test('plan: work dirs, config path relative to the deploy source, env and rendered command', () => {
  const cluster = clusterFileSchema.parse({
    cluster: { name: 'c' },
    nodes: [
      { name: 'host', type: 'host', ram_gb: 8 },
      { name: 'pi', host: 'h', ram_gb: 8, remote_work_dir: '/home/pi/w' },
      { name: 'pi2', host: 'h', ram_gb: 8 },
    ],
    run: { command: 'python3 r.py --config {experiment_config_path} --id {instance_id}', env: { A: '1' } },
  });
  const [host, pi, pi2] = cluster.nodes;
  assert.equal(nodeWorkDir(cluster, host!, '/ws/my proj'), '/ws/my proj');
  assert.equal(nodeWorkDir(cluster, pi!, '/ws'), '/home/pi/w');
  assert.equal(nodeWorkDir(cluster, pi2!, '/ws'), '~/clusterlab');
  const copy = { ...cluster, deploy: { source: 'src', exclude: [], host_mode: 'copy' as const } };
  assert.equal(nodeWorkDir(copy, { ...host!, remote_work_dir: '../run' }, '/ws'), '/ws/run');
  const inst = instanceSchema.parse({ instance_id: "it's", ram_gb: 1, env: { B: '2' } });
  assert.equal(experimentConfigPath(inst, '/ws/experiments/e.yaml', '/ws'), 'experiments/e.yaml');
  assert.equal(experimentConfigPath(inst, '/elsewhere/e.yaml', '/ws'), '/elsewhere/e.yaml');
  assert.equal(experimentConfigPath({ ...inst, experiment_config_path: 'c.json' }, '/ws/e.yaml', '/ws'), 'c.json');
  const p = planCommand({ cluster, instance: inst, node: 'pi', runId: 'r9', remoteWorkDir: '/home/pi/w', experimentConfigPath: 'experiments/e.yaml' });
  assert.equal(p.command, `python3 r.py --config experiments/e.yaml --id 'it'\\''s'`);
  assert.deepEqual(p.env, { A: '1', B: '2', CLUSTERLAB_INSTANCE_ID: "it's", CLUSTERLAB_NODE: 'pi', CLUSTERLAB_RUN_ID: 'r9' });
  const own = planCommand({ cluster, instance: { ...inst, command: 'echo {node}' }, node: 'pi', runId: 'r9', remoteWorkDir: '/w' });
  assert.equal(own.command, 'echo pi');
});

test('reconcile from a health probe: partial, never concludes crashed, unavailable → lost', async () => {
  const { observationFromHealth } = await import('../../../src/core/runs/reconcile');
  const h = (over: object) => ({ name: 'n1', host: 'h', status: 'healthy' as const, warnings: [], probed_at: T1, ...over });
  const run = rec('running');
  assert.equal(reconcile([run], { n1: observationFromHealth(h({ runs: [] })) }, T1).records[0], run, 'not listed: unchanged');
  assert.equal(reconcile([run], { n1: observationFromHealth(h({ runs: [{ run_id: 'r1', alive: false }] })) }, T1).records[0], run, 'pid gone, no exit code: left to reconcile()');
  assert.equal(reconcile([run], { n1: observationFromHealth(h({ runs: [{ run_id: 'r1', alive: false, exit_code: 1 }] })) }, T1).records[0]?.status, 'failed');
  assert.equal(reconcile([run], { n1: observationFromHealth(h({ status: 'unavailable', reason: 'timed out' })) }, T1).records[0]?.status, 'lost');
  assert.equal(reconcile([rec('lost')], { n1: observationFromHealth(h({ runs: [{ run_id: 'r1', alive: true, pid: 5 }] })) }, T1).records[0]?.status, 'running');
});

test('reconcile: a run the user asked to stop ends as stopped, whatever exit the node reports', () => {
  const obs = (v: { alive: boolean; exit_code?: number }) => ({ reachable: true as const, runs: { r1: { run_id: 'r1', present: true, ...v } } });
  const stopping = rec('running', { stop_requested_at: T0 });
  for (const seen of [{ alive: false, exit_code: 143 }, { alive: false, exit_code: 0 }, { alive: false }]) {
    const { records } = reconcile([stopping], { n1: obs(seen) }, T1);
    assert.equal(records[0]?.status, 'stopped', JSON.stringify(seen));
    assert.match(records[0]!.transitions.at(-1)!.reason, /stopped on request/);
  }
  // Without the request the same exit is a failure.
  assert.equal(reconcile([rec('running')], { n1: obs({ alive: false, exit_code: 143 }) }, T1).records[0]?.status, 'failed');
});
