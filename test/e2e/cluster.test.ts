// In a real VS Code: the Nodes view shows the demo workspace's node with its health; a scenario
// run from the palette shows its instances running, fills their output channel and finishes;
// Stop stops a long instance. The host node runs the demo's experiment_runner.py for real.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchVSCode, copyWorkspace, type VSCode, type TreeItem } from './harness';

let vs: VSCode | undefined;
let ws = '';
before(() => {
  ws = copyWorkspace('examples/local');
  // A long instance for the Stop test (the runner reads STEPS from its environment).
  writeFileSync(join(ws, 'experiments', 'long_run.yaml'), ['name: long_run', 'instances:', '  - instance_id: long_A', '    ram_gb: 0.1', '    env:', '      STEPS: "100000"', '      STEP_SECONDS: "0.2"', ''].join('\n'));
});
after(async () => {
  await vs?.close();
  // Anything still running from this workspace is stopped by the Stop test; make sure.
  rmSync(ws, { recursive: true, force: true });
});

const row = (items: TreeItem[], label: string) => items.find((i) => i.label === label);

test('the Nodes view shows the node, then its health after Check Health', { timeout: 120_000 }, async () => {
  vs = await launchVSCode({ name: 'cluster', workspace: ws });
  const wb = vs.workbench;
  await wb.openViewContainer('ClusterLab');
  const first = await wb.waitFor('the host node in the Nodes view', async () => row(await wb.treeItems('Nodes'), 'host'));
  assert.match(first.description, /16 GB · 0\/4/);
  await wb.screenshot('1-nodes');
  await wb.runCommand('ClusterLab: Check Health');
  const healthy = await wb.waitFor('host to be healthy', async () => {
    const r = row(await wb.treeItems('Nodes'), 'host');
    return r && r.icon === 'codicon-vm-active' ? r : undefined;
  });
  // After a probe the description shows measured RAM use of the measured total.
  assert.match(healthy.description, /^[\d.]+\/[\d.]+ GB · 0\/4$/);
  assert.match(healthy.ariaLabel, /healthy/);
  const status = await wb.statusBarTexts();
  assert.ok(status.some((s) => /1\/1 · 0 running/.test(s)), `status bar: ${status.join(' | ')}`);
  await wb.screenshot('2-healthy');
});

test('Run Experiments from the palette: instances run, their channel fills, then they finish', { timeout: 120_000 }, async () => {
  assert.ok(vs);
  const wb = vs.workbench;
  await wb.dismissNotifications();
  await wb.runCommand('ClusterLab: Run Experiments');
  await wb.pickQuickItem(/split_brain\.yaml/);
  await wb.acceptQuickInput();
  await wb.pickQuickItem(/Automatic placement/);
  const running = await wb.waitFor('split_brain instances in the tree', async () => {
    const items = await wb.treeItems('Nodes');
    const a = row(items, 'split_brain_A');
    const b = row(items, 'split_brain_B');
    return a && b ? [a, b] : undefined;
  }, 40_000);
  for (const r of running) assert.match(r.description, /^(starting|running|exited).* · host$/);
  await wb.screenshot('3-running');
  const channel = await wb.waitFor('the instance channel to fill', async () => {
    const text = await wb.outputChannel('ClusterLab: split_brain_A @ host');
    return /step \d+/i.test(text) ? text : undefined;
  }, 30_000, 1000);
  assert.match(channel, /split_brain_A/);
  await wb.screenshot('4-channel');
  const done = await wb.waitFor('both instances to exit 0', async () => {
    const items = await wb.treeItems('Nodes');
    const a = row(items, 'split_brain_A');
    const b = row(items, 'split_brain_B');
    return a && b && /exit 0/.test(a.description) && /exit 0/.test(b.description) ? [a, b] : undefined;
  }, 40_000);
  for (const r of done) assert.equal(r.icon, 'codicon-pass');
  // The channel got the end of the log and the summary line.
  const final = await wb.waitFor('the channel to report the exit', async () => {
    const text = await wb.outputText();
    return /exited with exit code 0/.test(text) ? text : undefined;
  }, 15_000, 1000);
  assert.match(final, /split_brain_A/);
  await wb.screenshot('5-finished');
  // The run records are the CLI's: same store, same statuses.
  const dir = join(ws, '.clusterlab', 'runs');
  const recs = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { instance_id: string; status: string; exit_code?: number });
  for (const id of ['split_brain_A', 'split_brain_B']) {
    const r = recs.find((x) => x.instance_id === id);
    assert.equal(r?.status, 'exited', `${id} record`);
    assert.equal(r?.exit_code, 0);
  }
});

test('Stop Instance from the palette stops a running instance', { timeout: 120_000 }, async () => {
  assert.ok(vs);
  const wb = vs.workbench;
  await wb.dismissNotifications();
  await wb.runCommand('ClusterLab: Run Experiments');
  await wb.pickQuickItem(/long_run\.yaml/);
  await wb.acceptQuickInput();
  await wb.pickQuickItem(/Automatic placement/);
  await wb.waitFor('long_A running', async () => {
    const r = row(await wb.treeItems('Nodes'), 'long_A');
    return r && /running/.test(r.description) ? r : undefined;
  }, 40_000);
  await wb.screenshot('6-long-running');
  await wb.runCommand('ClusterLab: Stop Instance');
  await wb.pickQuickItem(/long_A/);
  await wb.acceptQuickInput();
  const stopped = await wb.waitFor('long_A stopped', async () => {
    const r = row(await wb.treeItems('Nodes'), 'long_A');
    return r && /stopped/.test(r.description) ? r : undefined;
  }, 30_000);
  assert.equal(stopped.icon, 'codicon-debug-stop');
  await wb.screenshot('7-stopped');
});
