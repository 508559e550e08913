// Failover in a real VS Code: a run with `failover: {policy: restart}` on a real sshd node is
// started from the palette; its process group is killed with SIGKILL; the extension (coordinator
// "VS Code", holding .clusterlab/coordinator.lock) sees it crashed and restarts it: the tree
// shows it running again, the ClusterLab log shows the restart, the instance channel the new
// run's lines.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchVSCode, copyWorkspace, type VSCode, type TreeItem } from './harness';
import { nodeYaml, startSshNodes, type SshCluster } from '../harness/sshNodes';
import type { RunRecord } from '../../src/core/runs/types';

let vs: VSCode | undefined;
let ssh: SshCluster | undefined;
let ws = '';
const row = (items: TreeItem[], label: string) => items.find((i) => i.label === label);
const records = (): RunRecord[] => {
  const dir = join(ws, '.clusterlab', 'runs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as RunRecord)
    .filter((r) => r.instance_id === 'phoenix')
    .sort((a, b) => (a.started_at ?? '').localeCompare(b.started_at ?? ''));
};

before(async () => {
  ssh = await startSshNodes({ count: 1, names: ['pi1'] });
  const n = ssh.nodes[0];
  assert.ok(n);
  ws = copyWorkspace('examples/local');
  const workDir = `/tmp/cltest-home/clusterlab-e2e-failover-${process.pid}`;
  writeFileSync(
    join(ws, 'cluster.yaml'),
    [
      'cluster:',
      '  name: phoenix',
      'nodes:',
      ...nodeYaml(n, { type: 'raspberry_pi', ram_gb: 8, max_instances: 2, remote_work_dir: workDir }),
      'health:',
      '  interval_seconds: 1',
      '  timeout_seconds: 10',
      '',
    ].join('\n'),
  );
  // Only this experiment (the demo's others name the host node, which this cluster lacks).
  for (const f of readdirSync(join(ws, 'experiments'))) rmSync(join(ws, 'experiments', f), { recursive: true, force: true });
  writeFileSync(
    join(ws, 'experiments', 'phoenix.yaml'),
    [
      'name: phoenix',
      'instances:',
      '  - instance_id: phoenix',
      '    ram_gb: 0.1',
      '    command: \'i=0; while [ "$i" -lt 1200 ]; do i=$((i+1)); echo "tick $i"; sleep 0.25; done\'',
      '    failover:',
      '      policy: restart',
      '      backoff_seconds: 1',
      '      max_restarts: 3',
      '',
    ].join('\n'),
  );
});

after(async () => {
  for (const r of records()) if (r.pgid && (r.status === 'running' || r.status === 'starting')) try { process.kill(-r.pgid, 'SIGKILL'); } catch { /* gone */ }
  await vs?.close();
  await ssh?.stop();
  if (ws) rmSync(ws, { recursive: true, force: true });
});

test('restart policy: a run killed with -9 on an sshd node comes back running, in the tree and its channel', { timeout: 240_000 }, async () => {
  assert.ok(ssh);
  vs = await launchVSCode({
    name: 'failover',
    workspace: ws,
    settings: { 'clusterlab.ssh.knownHostsPath': ssh.knownHostsPath, 'clusterlab.ssh.configPath': ssh.sshConfigPath, 'clusterlab.health.intervalSeconds': 0 },
    env: { SSH_AUTH_SOCK: '' },
  });
  const wb = vs.workbench;
  await wb.openViewContainer('ClusterLab');
  await wb.waitFor('pi1 in the tree', async () => row(await wb.treeItems('Nodes'), 'pi1'));
  await wb.runCommand('ClusterLab: Run Experiments');
  await wb.pickQuickItem(/phoenix\.yaml/).catch(async (e: unknown) => {
    await wb.screenshot('0-run-pick-failed');
    throw e;
  });
  await wb.acceptQuickInput();
  await wb.pickQuickItem(/Manual placement/);
  await wb.pickQuickItem(/^pi1/);
  const first = await wb.waitFor('phoenix running (record)', async () => records().find((r) => r.status === 'running' && r.pgid), 60_000, 250);
  await wb.waitFor('phoenix running in the tree', async () => {
    const p = row(await wb.treeItems('Nodes'), 'phoenix');
    return p && /· pi1$/.test(p.description) && p.icon?.includes('play') ? p : undefined;
  }, 30_000);
  // The extension holds the coordinator lease.
  const lock = await wb.waitFor('coordinator lease', async () => {
    const p = join(ws, '.clusterlab', 'coordinator.lock');
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { owner: string; pid: number }) : undefined;
  }, 30_000, 250);
  assert.equal(lock.owner, 'VS Code');
  await wb.waitFor('first lines in its channel', async () => /tick \d+/.test(await wb.outputChannel('ClusterLab: phoenix @ pi1')), 30_000, 1000);

  const killedAt = Date.now();
  process.kill(-(first.pgid as number), 'SIGKILL');
  const second = await wb.waitFor('restarted run (record)', async () => records().find((r) => r.run_id !== first.run_id && r.status === 'running' && r.restart_count === 1), 60_000, 200);
  const recoveredS = (Date.now() - killedAt) / 1000;
  assert.equal(records().find((r) => r.run_id === first.run_id)?.status, 'crashed');
  assert.deepEqual(second.node, 'pi1');
  await wb.waitFor('tree shows phoenix running again', async () => {
    const p = row(await wb.treeItems('Nodes'), 'phoenix');
    return p && p.icon?.includes('play') ? p : undefined;
  }, 30_000);
  const note = await wb.waitFor('restart notification', async () => (await wb.notifications()).find((m) => /restarted phoenix on pi1 \(restart 1\)/.test(m)), 20_000, 250);
  assert.match(note, /crashed/);
  await wb.screenshot('1-notification');
  await wb.dismissNotifications();
  const channel = await wb.waitFor('new run\'s lines in the channel', async () => {
    const t = await wb.outputChannel('ClusterLab: phoenix @ pi1');
    return t.includes(`new run ${second.run_id}`) && /tick \d+\s*$/.test(t.trim()) ? t : undefined;
  }, 30_000, 1000);
  assert.match(channel, new RegExp(`new run ${second.run_id}`));
  await wb.screenshot('2-channel-after-restart');
  const logText = await wb.waitFor('restart in the ClusterLab log', async () => {
    const t = await wb.outputChannel('ClusterLab');
    return /failover: run_restarted phoenix@pi1/.test(t) ? t : undefined;
  }, 20_000, 1000);
  assert.match(logText, /failover: run_restarted phoenix@pi1/);
  await wb.openViewContainer('ClusterLab');
  await wb.screenshot('3-tree-and-log-after-restart');
  // Exactly one copy runs on the node.
  const live = records().filter((r) => r.status === 'running');
  assert.equal(live.length, 1);
  console.log(`failover e2e: kill -9 → running again in ${recoveredS.toFixed(1)} s`);
});
