// In a real VS Code with Workspace Trust on and the folder not trusted (Restricted Mode):
// ClusterLab still validates (diagnostics, the nodes from the config), but nothing that would
// connect to a node or run a command is offered.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchVSCode, copyWorkspace, type VSCode } from './harness';

let vs: VSCode | undefined;
const ws = copyWorkspace('examples/local');
after(async () => {
  await vs?.close();
  rmSync(ws, { recursive: true, force: true });
});

test('an untrusted folder gets validation only', { timeout: 120_000 }, async () => {
  const file = join(ws, 'experiments', 'split_brain.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('ram_gb: 0.2', 'ram_gb: -1'));
  vs = await launchVSCode({ name: 'restricted', workspace: ws, workspaceTrust: true, settings: { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' } });
  const wb = vs.workbench;
  await wb.openViewContainer('ClusterLab');
  // Validation works: the node from the config, and the experiment's error in Problems.
  await wb.waitFor('the host node', async () => (await wb.treeItems('Nodes')).some((i) => i.label === 'host'));
  const p = await wb.waitFor('the experiment diagnostic', async () => (await wb.problems()).find((x) => /ram_gb/.test(x.message)));
  assert.equal(p.severity, 'error');
  await wb.screenshot('1-restricted');
  // Commands that reach nodes are disabled: the palette does not offer them.
  await wb.focus();
  await wb.page.keyboard.press('F1');
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>ClusterLab: ');
  await wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'ClusterLab: Validate Config' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  const offered = await wb.quickPickItems();
  assert.ok(offered.includes('ClusterLab: Validate Config'), offered.join(', '));
  for (const c of ['ClusterLab: Check Health', 'ClusterLab: Run Experiments', 'ClusterLab: Stop All Instances', 'ClusterLab: Open Terminal on Node']) assert.ok(!offered.includes(c), `${c} is offered in Restricted Mode: ${offered.join(', ')}`);
  await wb.screenshot('2-palette');
  await wb.page.keyboard.press('Escape');
});
