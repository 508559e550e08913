// The CLI's run / status / logs / stop against a real sshd node: deploy, start detached over SSH,
// follow with prefixes, reattach, stop, fetch. Paths and ids with spaces and quotes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSshNodes, type SshCluster } from '../harness/sshNodes';

const CLI = resolve(__dirname, '../../dist/cli.js');

describe('clusterlab run/status/logs/stop over SSH', () => {
  let cluster: SshCluster;
  const root = mkdtempSync(join(tmpdir(), 'cl ssh cli '));
  const ws = join(root, "my 'ws'");
  let flags: string[] = [];

  const cli = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [CLI, ...args, ...flags], { cwd: ws, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 90_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  before(async () => {
    cluster = await startSshNodes({ count: 1 });
    const n = cluster.nodes[0]!;
    mkdirSync(join(ws, 'experiments'), { recursive: true });
    copyFileSync(resolve(__dirname, '../../examples/local/experiment_runner.py'), join(ws, 'experiment_runner.py'));
    writeFileSync(
      join(ws, 'cluster.yaml'),
      [
        'cluster:',
        '  name: sshtest',
        'nodes:',
        `  - name: n1`,
        `    host: ${n.host}`,
        `    ssh_port: ${n.port}`,
        `    ssh_user: ${n.userName}`,
        `    ssh_key_path: ${n.keyPath}`,
        '    ram_gb: 8',
        '    max_instances: 4',
        `    remote_work_dir: "~/work 'dir'"`,
        'run:',
        '  stop_grace_seconds: 2',
        'health:',
        '  timeout_seconds: 20',
        '',
      ].join('\n'),
    );
    writeFileSync(join(ws, 'experiments', 'pair one.yaml'), ['name: pair', 'instances:', `  - instance_id: "a 'quoted' one"`, '    ram_gb: 0.1', '    env: { STEPS: "3", STEP_SECONDS: "0.1" }', '  - instance_id: b', '    ram_gb: 0.1', '    env: { STEPS: "40", STEP_SECONDS: "0.25" }', ''].join('\n'));
    flags = ['--known-hosts', cluster.knownHostsPath];
  });
  after(async () => {
    spawnSync(process.execPath, [CLI, 'stop', '--all', '--grace', '0', ...flags], { cwd: ws, encoding: 'utf8' });
    await cluster?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('deploys, starts, follows one run to the end, reattaches and stops the other, fetches the logs', () => {
    const r = cli(['run', '--experiments', 'experiments/pair one.yaml', '--auto-place', '--monitor-duration', '4']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /n1: \d+ file\(s\) sent/);
    assert.match(r.out, /✓ a 'quoted' one@n1 exited\(0\)/);
    assert.match(r.out, /Monitoring ended after 4 s; the runs keep going/);
    const s = JSON.parse(cli(['status', '--json']).out) as { runs: Array<{ instance_id: string; status: string; exit_code: number | null }> };
    assert.equal(s.runs.find((x) => x.instance_id === "a 'quoted' one")?.status, 'exited');
    assert.equal(s.runs.find((x) => x.instance_id === 'b')?.status, 'running');
    const logs = cli(['logs', "a 'quoted' one"]);
    assert.equal(logs.code, 0, logs.err);
    assert.match(logs.out, /^a 'quoted' one starting on n1 /);
    assert.match(logs.out, /config experiments\/pair one.yaml/);
    assert.match(logs.out, /done: 3 steps/);
    const tail = cli(['logs', 'b', '--tail', '2']);
    assert.match(tail.out, /step \d+\/40/);
    const st = cli(['stop', 'b']);
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, /b@n1: stopped\(143\) \(stopped with SIGTERM\)/);
    const dest = join(root, 'fetched');
    const f = cli(['logs', '--fetch', dest]);
    assert.equal(f.code, 0, f.err);
    assert.ok(existsSync(join(dest, 'n1', "a 'quoted' one.log")));
    assert.match(readFileSync(join(dest, 'n1', 'b.log'), 'utf8'), /stopping at step \d+\/40 \(SIGTERM\)/);
  });
});
