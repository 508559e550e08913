// The day-to-day workflow in a real VS Code (one code-server for the whole file), as a person
// does it: a cluster of this machine (`type: host`) plus a real sshd node `pi1`.
//   - hover and completion in cluster.yaml
//   - Set Maintenance from the tree's context menu (icon + description change), Plan Placement
//     avoids the node; Cancel starts nothing; Clear Maintenance; Plan again and Apply starts runs
//   - Restart Instance from the context menu; multi-select Stop
//   - Deploy to one node and to all, with a per-node progress message
//   - Open Terminal on Node (inline button, sshd) and on the host (palette): type, read output
//   - Fetch All Logs into a chosen folder: <dir>/<node>/<instance>.log
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { launchVSCode, copyWorkspace, mixedClusterYaml, type VSCode, type TreeItem, type Workbench } from './harness';
import { startSshNodes, type SshCluster } from '../harness/sshNodes';

let vs: VSCode | undefined;
let ssh: SshCluster | undefined;
let ws = '';
let fetchDir = '';
const workDir = `/tmp/cltest-home/clusterlab-e2e-wf-${process.pid}`;
const row = (items: TreeItem[], label: string) => items.find((i) => i.label === label);

before(async () => {
  ssh = await startSshNodes({ count: 1, names: ['pi1'] });
  const n = ssh.nodes[0];
  assert.ok(n);
  ws = copyWorkspace('examples/local');
  // Enough files that a first deploy over SSH shows its progress for a moment.
  for (let d = 0; d < 20; d++) {
    mkdirSync(join(ws, 'data', `d${d}`), { recursive: true });
    for (let f = 0; f < 100; f++) writeFileSync(join(ws, 'data', `d${d}`, `f${f}.bin`), randomBytes(16_384));
  }
  writeFileSync(join(ws, 'cluster.yaml'), mixedClusterYaml(n, workDir, ['  stop_grace_seconds: 2', '  env:', '    STEPS: "600"', '    STEP_SECONDS: "0.5"']));
  fetchDir = mkdtempSync(join(tmpdir(), 'clusterlab-fetched-'));
  vs = await launchVSCode({
    name: 'workflow',
    workspace: ws,
    settings: {
      'clusterlab.ssh.knownHostsPath': ssh.knownHostsPath,
      'clusterlab.ssh.configPath': ssh.sshConfigPath,
      'clusterlab.health.intervalSeconds': 0,
      'terminal.integrated.gpuAcceleration': 'off',
      'workbench.hover.delay': 200,
      'editor.hover.delay': 200,
    },
    env: { SSH_AUTH_SOCK: '' },
  });
});

after(async () => {
  if (vs && vs.workbench) await vs.workbench.runCommand('ClusterLab: Stop All Instances').then(async () => {
    await clickDialogButton(vs!.workbench, /^Stop \d+ Instance/).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 3000));
  }).catch(() => undefined);
  await vs?.close();
  await ssh?.stop();
  if (ws) rmSync(ws, { recursive: true, force: true });
  if (fetchDir) rmSync(fetchDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

function treeRow(wb: Workbench, label: string): Locator {
  return wb.pane('Nodes').locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).first();
}

async function contextMenu(wb: Workbench, label: string, item: string | RegExp, modifiers?: Array<'Control'>): Promise<void> {
  await treeRow(wb, label).click({ button: 'right', ...(modifiers ? { modifiers } : {}) });
  const entry = wb.page.locator('.context-view .monaco-menu .action-item .action-label', { hasText: item }).first();
  await entry.waitFor({ state: 'visible', timeout: 10_000 });
  // The menu acts on its own mouse handling; hover the entry (it takes focus) and press Enter.
  await entry.hover();
  await wb.page.keyboard.press('Enter');
  await wb.page.locator('.context-view .monaco-menu').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
}

async function dialog(wb: Workbench): Promise<{ message: string; detail: string; buttons: string[] }> {
  const box = wb.page.locator('.monaco-dialog-box');
  await box.waitFor({ state: 'visible', timeout: 30_000 });
  return {
    message: ((await box.locator('.dialog-message-text').textContent()) ?? '').trim(),
    detail: ((await box.locator('.dialog-message-detail').textContent().catch(() => '')) ?? '').trim(),
    buttons: (await box.locator('.dialog-buttons .monaco-button').allTextContents()).map((s) => s.trim()),
  };
}

async function clickDialogButton(wb: Workbench, label: string | RegExp): Promise<void> {
  await wb.page.locator('.monaco-dialog-box .dialog-buttons .monaco-button', { hasText: label }).first().click({ timeout: 10_000 });
  await wb.page.locator('.monaco-dialog-box').waitFor({ state: 'hidden', timeout: 10_000 });
}

/** The Markdown preview's text (the last webview opened). */
async function previewText(wb: Workbench, contains: RegExp): Promise<string> {
  return wb.waitFor(`the plan preview to show ${contains}`, async () => {
    const frames = wb.page.frameLocator('iframe.webview.ready');
    const n = await wb.page.locator('iframe.webview.ready').count();
    for (let i = n - 1; i >= 0; i--) {
      const t = (await frames.nth(i).frameLocator('#active-frame').locator('body').textContent({ timeout: 2000 }).catch(() => '')) ?? '';
      if (contains.test(t)) return t;
    }
    return undefined;
  }, 30_000);
}

async function closeEditors(wb: Workbench): Promise<void> {
  await wb.runCommand('View: Close All Editors');
  await clickDialogButton(wb, /Don't Save/).catch(() => undefined);
}

async function terminalText(wb: Workbench): Promise<string> {
  return wb.page.locator('.terminal-wrapper.active .xterm-rows').first().evaluate((e) => Array.from(e.children).map((r) => (r.textContent ?? '').replace(/\u00a0/g, ' ')).join('\n'));
}

/** "running · up 1 min 4 s · pi1" → 64 */
function upSeconds(description: string): number {
  const m = /up (?:(\d+) h )?(?:(\d+) min ?)?(?:(\d+) s)?/.exec(description);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : Number.NaN;
}

async function runs(wb: Workbench): Promise<TreeItem[]> {
  return (await wb.treeItems('Nodes')).filter((i) => /^split_brain_/.test(i.label));
}

test('cluster.yaml: hover on ram_gb documents it; completion inside a node offers the missing keys', { timeout: 120_000 }, async () => {
  assert.ok(vs);
  const wb = vs.workbench;
  await wb.openFile('cluster.yaml');
  const key = wb.page.locator('.editor-instance .view-lines span', { hasText: /^ram_gb$/ }).first();
  const hover = wb.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content, .monaco-hover:not(.hidden) .hover-contents').first();
  const text = await wb.waitFor('a hover on ram_gb', async () => {
    await wb.page.mouse.move(5, 5);
    await key.hover();
    await hover.waitFor({ state: 'visible', timeout: 2500 });
    const t = ((await hover.textContent()) ?? '').trim();
    return t ? t : undefined;
  }, 30_000);
  assert.match(text, /ram_gb/);
  assert.match(text, /RAM|memory|GB/i, `the hover documents ram_gb: ${text}`);
  await wb.screenshot('1-hover');
  await wb.page.keyboard.press('Escape');

  // Completion on a new line inside the host node (after `max_instances: 2`, line 7).
  await wb.page.locator('.editor-instance .view-lines').first().click();
  await wb.page.keyboard.press('Control+G');
  await wb.page.locator('.quick-input-widget .quick-input-box input').fill(':7');
  await wb.page.keyboard.press('Enter');
  await wb.page.keyboard.press('End');
  await wb.page.keyboard.press('Enter');
  const suggestions = await wb.waitFor('completion items', async () => {
    await wb.page.keyboard.press('Control+Space');
    const rows = wb.page.locator('.editor-widget.suggest-widget .monaco-list-row');
    await rows.first().waitFor({ state: 'visible', timeout: 3000 });
    const labels = (await rows.locator('.label-name').allTextContents()).map((s) => s.trim());
    return labels.length ? labels : undefined;
  }, 30_000);
  await wb.screenshot('2-completion');
  assert.ok(suggestions.some((s) => /^(cpu_cores|gpu|reserved_ram_gb|labels|host)/.test(s)), `completion offers a node key: ${suggestions.join(', ')}`);
  for (const present of ['name', 'type', 'ram_gb', 'max_instances']) assert.ok(!suggestions.includes(present), `completion leaves out ${present}, already there: ${suggestions.join(', ')}`);
  await wb.page.keyboard.press('Escape');
  await closeEditors(wb);
});

test('maintenance from the context menu; Plan avoids it; Cancel starts nothing; Apply starts the runs', { timeout: 240_000 }, async () => {
  assert.ok(vs);
  const wb = vs.workbench;
  await wb.openViewContainer('ClusterLab');
  await wb.runCommand('ClusterLab: Check Health');
  await wb.waitFor('both nodes healthy', async () => {
    const items = await wb.treeItems('Nodes');
    return row(items, 'pi1')?.icon === 'codicon-vm-active' && row(items, 'host')?.icon === 'codicon-vm-active';
  }, 30_000);

  await contextMenu(wb, 'pi1', /^Set Maintenance$/);
  const maint = await wb.waitFor('pi1 in maintenance', async () => {
    const r = row(await wb.treeItems('Nodes'), 'pi1');
    return r && r.icon === 'codicon-tools' ? r : undefined;
  });
  assert.match(maint.description, /^maintenance · /);
  await wb.screenshot('3-maintenance');

  await wb.runCommand('ClusterLab: Plan Placement');
  await wb.pickQuickItem(/split_brain\.yaml/);
  await wb.acceptQuickInput();
  const md = await previewText(wb, /split_brain_B/);
  assert.match(md, /split_brain_A → host/);
  assert.match(md, /split_brain_B → host/);
  assert.match(md, /pi1[^\n]*maintenance/i, 'the plan says why pi1 lost');
  const d = await dialog(wb);
  assert.match(d.message, /apply this placement/);
  assert.match(d.detail, /split_brain_A → host/);
  await wb.screenshot('4-plan-maintenance');
  await clickDialogButton(wb, 'Cancel');
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await runs(wb), [], 'Cancel starts nothing');
  await closeEditors(wb);

  await contextMenu(wb, 'pi1', /^Clear Maintenance$/);
  await wb.waitFor('pi1 back to healthy', async () => {
    const r = row(await wb.treeItems('Nodes'), 'pi1');
    return r && r.icon === 'codicon-vm-active' && !/maintenance/.test(r.description);
  }, 30_000);

  await wb.runCommand('ClusterLab: Plan Placement');
  await wb.pickQuickItem(/split_brain\.yaml/);
  await wb.acceptQuickInput();
  const md2 = await previewText(wb, /→ pi1/);
  // Each instance's choice with its score breakdown, and the loser with its score.
  assert.match(md2, /resources/);
  assert.match(md2, /score \d/);
  const d2 = await dialog(wb);
  await wb.screenshot('5-plan');
  const apply = d2.buttons.find((b) => /^Apply/.test(b));
  assert.ok(apply, `an Apply button: ${d2.buttons.join(', ')}`);
  await clickDialogButton(wb, apply);
  await wb.waitFor('both instances running, one on pi1', async () => {
    const r = await runs(wb);
    return r.length === 2 && r.every((i) => i.icon === 'codicon-play-circle') && r.some((i) => /· pi1$/.test(i.description)) ? r : undefined;
  }, 90_000);
  await closeEditors(wb);
  await wb.screenshot('6-applied');
});

test('Restart Instance from the context menu; multi-select Stop', { timeout: 120_000 }, async () => {
  assert.ok(vs);
  const wb = vs.workbench;
  await wb.dismissNotifications();
  const before = row(await wb.treeItems('Nodes'), 'split_brain_B');
  assert.ok(before);
  await new Promise((r) => setTimeout(r, 8000)); // let the uptimes grow apart from 0
  await contextMenu(wb, 'split_brain_B', /^Restart Instance$/);
  // A restart is a new run: its uptime starts again, below A's (started at the same time).
  await wb.waitFor('split_brain_B restarted (new run, running)', async () => {
    const items = await wb.treeItems('Nodes');
    const a = row(items, 'split_brain_A');
    const b = row(items, 'split_brain_B');
    return b?.icon === 'codicon-play-circle' && a && upSeconds(b.description) + 5 < upSeconds(a.description);
  }, 60_000, 1000);
  await wb.screenshot('7-restarted');

  await treeRow(wb, 'split_brain_A').click();
  await treeRow(wb, 'split_brain_B').click({ modifiers: ['Control'] });
  await contextMenu(wb, 'split_brain_B', /^Stop Instance$/);
  await wb.waitFor('both stopped', async () => {
    const r = await runs(wb);
    return r.length === 2 && r.every((i) => i.icon === 'codicon-debug-stop') ? r : undefined;
  }, 60_000);
  await wb.screenshot('8-stopped');
});

test('Deploy to one node and to all shows per-node progress', { timeout: 120_000 }, async () => {
  assert.ok(vs);
  const wb = vs.workbench;
  await wb.dismissNotifications();
  // A fresh target folder so the files are sent again.
  rmSync(join(workDir, 'data'), { recursive: true, force: true });
  await wb.runCommand('ClusterLab: Deploy to Node');
  await wb.pickQuickItem(/^pi1/);
  const seen = new Set<string>();
  const done = await wb.waitFor('the deploy to finish', async () => {
    const msgs = await wb.notifications();
    const progress = await wb.page.locator('.notifications-toasts .notification-list-item').allTextContents();
    for (const p of progress) if (/Deploying to pi1/.test(p)) seen.add(p.replace(/\s+/g, ' '));
    if ([...seen].some((s) => /\d+\/[\d,]+ files/.test(s)) && seen.size === 1) await wb.screenshot('9-deploy-progress');
    return msgs.find((m) => /deployed to pi1/.test(m));
  }, 60_000, 100);
  assert.match(done, /pi1 \(\d+ sent/);
  const withFiles = [...seen].find((s) => /\d+\/[\d,]+ files, [\d.]+ (B|KB|MB)/.test(s));
  assert.ok(withFiles || [...seen].some((s) => /comparing|hashing|done/.test(s)), `progress read like VS Code: ${[...seen].join(' | ')}`);
  for (const s of seen) assert.doesNotMatch(s, /[{}"]/, `no raw progress event: ${s}`);
  assert.ok(existsSync(join(workDir, 'data', 'd0', 'f0.bin')), 'the files reached the node');

  await wb.dismissNotifications();
  await wb.runCommand('ClusterLab: Deploy to All Nodes');
  // the summary of this deploy names both nodes (the one of the deploy to pi1 may still show)
  const all = await wb.waitFor('deploy to all', async () => (await wb.notifications()).find((m) => /deployed to/.test(m) && /host/.test(m)), 60_000);
  assert.match(all, /host \(in place\)/);
  assert.match(all, /pi1 \(0 sent/);
  await wb.screenshot('10-deploy-all');
});

test('Open Terminal on Node: a shell on the sshd node (inline button) and on the host', { timeout: 120_000 }, async () => {
  assert.ok(vs && ssh);
  const wb = vs.workbench;
  await wb.dismissNotifications();
  const r = treeRow(wb, 'pi1');
  await r.hover();
  await r.locator('.actions .action-label[aria-label^="Open Terminal"]').click();
  await wb.page.locator('.terminal-wrapper.active .xterm-rows').first().waitFor({ state: 'visible', timeout: 20_000 });
  await wb.waitFor('a prompt on pi1', async () => /\$|#/.test((await terminalText(wb)).replace(/ClusterLab: connecting[^\n]*/, '')), 20_000);
  await wb.page.locator('.terminal-wrapper.active .xterm').first().click();
  await wb.page.keyboard.type('echo "answer=$((6*7)) user=$(whoami) pwd=$(pwd)"\n');
  const out = await wb.waitFor('the command output', async () => {
    const t = await terminalText(wb);
    return /answer=42 user=\S+ pwd=\S+/.test(t) ? t : undefined;
  }, 20_000);
  assert.match(out, new RegExp(`answer=42 user=${ssh.nodes[0]?.userName} pwd=${workDir}`));
  await wb.screenshot('11-terminal-pi1');
  await wb.page.keyboard.type('exit\n');
  // Let the closing terminal hand focus back before the palette opens (it steals it otherwise).
  await new Promise((res) => setTimeout(res, 2000));

  await wb.runCommand('ClusterLab: Open Terminal on Node');
  await wb.pickQuickItem(/^host/);
  await wb.waitFor('a terminal for host', async () => (await wb.page.locator('.terminal-tabs-entry, .single-terminal-tab', { hasText: 'ClusterLab: host' }).count()) > 0 || /connecting to host/.test(await terminalText(wb)), 20_000);
  await new Promise((res) => setTimeout(res, 1500));
  await wb.page.locator('.terminal-wrapper.active .xterm').first().click();
  await wb.page.keyboard.type('echo "sum=$((40+2)) here=$(pwd)"\n');
  const hostOut = await wb.waitFor('the host command output', async () => {
    const t = await terminalText(wb);
    return /sum=42 here=\S+/.test(t) ? t : undefined;
  }, 20_000);
  assert.match(hostOut, new RegExp(`sum=42 here=${ws}`));
  await wb.screenshot('12-terminal-host');
  await wb.page.keyboard.type('exit\n');
});

test('Fetch All Logs copies every node\'s logs into <dir>/<node>/', { timeout: 120_000 }, async () => {
  assert.ok(vs);
  const wb = vs.workbench;
  await wb.dismissNotifications();
  await wb.runCommand('ClusterLab: Fetch All Logs');
  // code-server's folder dialog: a quick input holding a path, with an OK button.
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  // The dialog rewrites its value as it loads the default folder: wait for that, then type over it.
  await new Promise((r) => setTimeout(r, 1500));
  await input.click({ timeout: 5000 });
  await wb.page.keyboard.press('Control+A');
  await wb.page.keyboard.type(`${fetchDir}/`);
  await wb.waitFor('the typed folder in the dialog', async () => (await input.inputValue()) === `${fetchDir}/`, 10_000);
  await new Promise((r) => setTimeout(r, 800));
  await wb.screenshot('13-fetch-dialog');
  // code-server's simple folder dialog may first navigate into the typed folder and want the
  // button again: accept until the dialog closes.
  const ok = wb.page.locator('.quick-input-widget .monaco-button', { hasText: /Fetch Logs Here|OK/ }).first();
  // The dialog can close between a check and a click: each action waits 2 s at most (Playwright's
  // default is 30 s for an element that never comes back), and the loop looks again.
  for (let k = 0; k < 4 && (await input.isVisible().catch(() => false)); k++) {
    if (await ok.isVisible().catch(() => false)) await ok.click({ timeout: 2000 }).catch(() => undefined);
    else await input.press('Enter', { timeout: 2000 }).catch(() => undefined);
    await input.waitFor({ state: 'hidden', timeout: 2000 }).catch(() => undefined);
  }
  const msg = await wb.waitFor('the fetch to finish', async () => (await wb.notifications()).find((m) => /fetched \d+ log file/.test(m)), 60_000);
  await wb.screenshot('14-fetched');
  assert.match(msg, /pi1 \(\d+\)/);
  const piLogs = readdirSync(join(fetchDir, 'pi1'));
  const hostLogs = readdirSync(join(fetchDir, 'host'));
  assert.ok(piLogs.some((f) => /^split_brain_[AB]\.log$/.test(f)), `pi1's log fetched: ${piLogs.join(', ')}`);
  assert.ok(hostLogs.some((f) => /^split_brain_[AB]\.log$/.test(f)), `host's log fetched: ${hostLogs.join(', ')}`);
  const one = piLogs.find((f) => f.startsWith('split_brain_')) as string;
  assert.match(readFileSync(join(fetchDir, 'pi1', one), 'utf8'), /step \d+\//);
});
