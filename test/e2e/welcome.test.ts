// In a real VS Code: an empty folder shows the Nodes view's welcome content with a button that
// creates cluster.yaml from the template; once created, the node appears in the tree.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { launchVSCode, makeWorkspace, type VSCode } from './harness';

let vs: VSCode | undefined;
const ws = makeWorkspace();
after(async () => {
  await vs?.close();
  rmSync(ws, { recursive: true, force: true });
});

test('an empty folder shows the welcome view; its button creates cluster.yaml and the node appears', { timeout: 120_000 }, async () => {
  vs = await launchVSCode({ name: 'welcome', workspace: ws });
  const wb = vs.workbench;
  await wb.openViewContainer('ClusterLab');
  const text = await wb.waitFor('the welcome content', async () => {
    const t = await wb.welcomeText('Nodes');
    return /No cluster config found/.test(t) ? t : undefined;
  });
  assert.match(text, /cluster\.yaml/);
  await wb.screenshot('1-empty');
  await wb.pane('Nodes').locator('.welcome-view-content a.monaco-button, .welcome-view-content .monaco-button', { hasText: 'Create cluster.yaml' }).first().click();
  await wb.waitFor('cluster.yaml on disk', async () => existsSync(join(ws, 'cluster.yaml')));
  const node = await wb.waitFor('the template node in the tree', async () => (await wb.treeItems('Nodes')).find((i) => i.label === 'host'));
  assert.match(node.description, /16 GB · 0\/2/);
  assert.equal(await wb.welcomeText('Nodes'), '');
  await wb.screenshot('2-created');
});
