// In a real VS Code against a real OpenSSH node: a cluster of this machine (`type: host`) plus an
// sshd node on 127.0.0.1. The tree shows both with their health; split_brain placed by hand
// (A on the sshd node, B on the host) deploys over SSH, runs, streams A's log over SSH into its
// output channel, and finishes.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchVSCode, copyWorkspace, mixedClusterYaml, type VSCode, type TreeItem } from './harness';
import { startSshNodes, type SshCluster } from '../harness/sshNodes';

let vs: VSCode | undefined;
let ssh: SshCluster | undefined;
let ws = '';
const row = (items: TreeItem[], label: string) => items.find((i) => i.label === label);

before(async () => {
  ssh = await startSshNodes({ count: 1, names: ['pi1'] });
  const n = ssh.nodes[0];
  assert.ok(n);
  ws = copyWorkspace('examples/local');
  const workDir = `/tmp/cltest-home/clusterlab-e2e-${process.pid}`;
  writeFileSync(join(ws, 'cluster.yaml'), mixedClusterYaml(n, workDir));
});

after(async () => {
  await vs?.close();
  await ssh?.stop();
  if (ws) rmSync(ws, { recursive: true, force: true });
});

test('host + sshd node: health in the tree, a manual split_brain run over SSH streams its log and finishes', { timeout: 180_000 }, async () => {
  assert.ok(ssh);
  vs = await launchVSCode({
    name: 'sshd',
    workspace: ws,
    settings: { 'clusterlab.ssh.knownHostsPath': ssh.knownHostsPath, 'clusterlab.ssh.configPath': ssh.sshConfigPath, 'clusterlab.health.intervalSeconds': 0 },
    env: { SSH_AUTH_SOCK: '' },
  });
  const wb = vs.workbench;
  await wb.openViewContainer('ClusterLab');
  await wb.waitFor('both nodes', async () => {
    const items = await wb.treeItems('Nodes');
    return row(items, 'host') && row(items, 'pi1') ? items : undefined;
  });
  await wb.runCommand('ClusterLab: Check Health');
  const pi = await wb.waitFor('pi1 healthy over SSH', async () => {
    const r = row(await wb.treeItems('Nodes'), 'pi1');
    return r && r.icon === 'codicon-vm-active' ? r : undefined;
  }, 30_000);
  assert.match(pi.description, /GB · 0\/1$/);
  await wb.screenshot('1-health');

  await wb.dismissNotifications();
  await wb.runCommand('ClusterLab: Run Experiments');
  await wb.pickQuickItem(/split_brain\.yaml/);
  await wb.acceptQuickInput();
  await wb.pickQuickItem(/Manual placement/);
  await wb.pickQuickItem(/^pi1/); // split_brain_A
  await wb.pickQuickItem(/^host/); // split_brain_B
  const placed = await wb.waitFor('A on pi1 and B on host', async () => {
    const items = await wb.treeItems('Nodes');
    const a = row(items, 'split_brain_A');
    const b = row(items, 'split_brain_B');
    return a && b && /· pi1$/.test(a.description) && /· host$/.test(b.description) ? [a, b] : undefined;
  }, 60_000);
  assert.equal(placed.length, 2);
  await wb.screenshot('2-running');
  const text = await wb.waitFor('A\'s log over SSH in its channel', async () => {
    const t = await wb.outputChannel('ClusterLab: split_brain_A @ pi1');
    return /step \d+/.test(t) ? t : undefined;
  }, 30_000, 1000);
  assert.match(text, /split_brain_A/);
  await wb.waitFor('both to exit 0', async () => {
    const items = await wb.treeItems('Nodes');
    const a = row(items, 'split_brain_A');
    const b = row(items, 'split_brain_B');
    return a && b && /exit 0/.test(a.description) && /exit 0/.test(b.description);
  }, 60_000);
  await wb.screenshot('3-finished');
});
