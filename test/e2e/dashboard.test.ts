// In a real VS Code (code-server + headless Chromium): open the ClusterLab dashboard from the
// palette, read every node's numbers out of the webview and check them against
// `clusterlab report --json` for the same workspace; screenshot it in the dark and light theme.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { FrameLocator } from 'playwright-core';
import { launchVSCode, copyWorkspace, waitFor, REPO_ROOT, type VSCode } from './harness';
import type { ReportNode } from '../../src/core/placement/report';

let vs: VSCode | undefined;
const workspaces: string[] = [];
after(async () => {
  // Never leave a run behind: stop what the second test started, through the CLI.
  for (const w of workspaces) spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli.js'), 'stop', '--all', '--grace', '0'], { cwd: w, encoding: 'utf8', timeout: 30_000 });
  await vs?.close();
  for (const w of workspaces) rmSync(w, { recursive: true, force: true });
});


interface CardNumbers {
  node: string;
  fields: Record<string, string>;
}

/** The dashboard's page: VS Code nests it in two iframes (the webview host, then the content). */
function dashboardFrame(vs: VSCode): FrameLocator {
  return vs.workbench.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

async function readCards(frame: FrameLocator): Promise<CardNumbers[]> {
  return frame.locator('section.card[data-node]').evaluateAll((cards) =>
    cards.map((c) => ({
      node: (c as HTMLElement).dataset.node ?? '',
      fields: Object.fromEntries([...c.querySelectorAll<HTMLElement>('[data-field]')].map((e) => [e.dataset.field ?? '', (e.textContent ?? '').trim()])),
    })),
  );
}

function cliReport(ws: string): ReportNode[] {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli.js'), 'report', '--cluster', join(ws, 'cluster.yaml'), '--json'], { cwd: ws, encoding: 'utf8' });
  assert.equal(r.status, 0, `clusterlab report --json failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { nodes: ReportNode[] }).nodes;
}

/** Every node's numbers in the webview equal the CLI report's. */
function compare(report: ReportNode[], cards: CardNumbers[]): void {
  assert.equal(cards.length, report.length, 'one card per node in the report');
  for (const r of report) {
    const card = cards.find((c) => c.node === r.name);
    assert.ok(card, `the dashboard has a card for ${r.name}`);
    const f = card.fields;
    assert.equal(Number(f['ram-allocated-gb']), r.ram_allocated_gb, `${r.name}: RAM allocated`);
    assert.equal(Number(f['ram-total-gb']), r.ram_total_gb, `${r.name}: RAM total`);
    assert.equal(Number(f['ram-utilization-percent']), r.ram_utilization_percent, `${r.name}: RAM utilisation`);
    assert.equal(Number(f['instances']), r.instances, `${r.name}: instances`);
    assert.equal(Number(f['max-instances']), r.max_instances, `${r.name}: max instances`);
    // The CLI report has no probe: it says healthy for a node it knows nothing about. The
    // dashboard says "unknown" until the extension has probed; once probed they must agree.
    if (f['status'] !== 'unknown') assert.equal(f['status'], r.status, `${r.name}: status`);
  }
}

test('the dashboard shows the numbers of `clusterlab report --json`, in the dark and light theme', { timeout: 240_000 }, async () => {
  const ws = copyWorkspace('examples/local');
  workspaces.push(ws);
  // Runs started by the second test last (600 steps) until it stops them.
  appendFileSync(join(ws, 'cluster.yaml'), '  env:\n    STEPS: "600"\n    STEP_SECONDS: "0.5"\n');
  vs = await launchVSCode({ name: 'dashboard', workspace: ws, settings: { 'clusterlab.dashboard.samplingSeconds': 1 } });
  const wb = vs.workbench;

  await wb.runCommand('ClusterLab: Open Dashboard');
  const frame = dashboardFrame(vs);
  await frame.locator('section.card[data-node]').first().waitFor({ state: 'visible', timeout: 30_000 });

  const report = cliReport(ws);
  assert.ok(report.length > 0, 'the demo workspace has nodes');
  const cards = await waitFor('one card per node in the report', async () => {
    const c = await readCards(frame);
    return c.length === report.length ? c : undefined;
  });
  compare(report, cards);

  // Live: with a 1 s sampling interval the history grows without the page being rebuilt.
  const marker = await frame.locator('section.card').first().evaluate((e) => {
    (e as HTMLElement & { __kept?: boolean }).__kept = true;
    return true;
  });
  assert.ok(marker);
  await new Promise((r) => setTimeout(r, 2500));
  const kept = await frame.locator('section.card').first().evaluate((e) => (e as HTMLElement & { __kept?: boolean }).__kept === true);
  assert.ok(kept, 'node cards are updated in place, not re-created');
  assert.ok((await frame.locator('.chart .uplot').count()) >= 1, 'a history chart per node');

  await wb.screenshot('dark');

  // Light theme: the page follows the theme's colours.
  const darkBg = await frame.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
  await wb.runCommand('Preferences: Color Theme');
  await wb.pickQuickItem(/^Light Modern|^Light\+|^Default Light/);
  const lightBg = await waitFor('the dashboard to follow the light theme', async () => {
    const bg = await frame.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
    return bg !== darkBg ? bg : undefined;
  });
  assert.notEqual(lightBg, darkBg);
  await new Promise((r) => setTimeout(r, 1500));
  await wb.screenshot('light');
});

test('with a running instance, the dashboard\'s RAM allocated per node equals `clusterlab report --json` during the run', { timeout: 180_000 }, async () => {
  assert.ok(vs, 'the first test opened VS Code');
  const wb = vs.workbench;
  const ws = workspaces[0] as string;
  await wb.dismissNotifications();
  await wb.runCommand('ClusterLab: Run Experiments');
  await wb.pickQuickItem(/split_brain\.yaml/);
  await wb.acceptQuickInput();
  await wb.pickQuickItem(/Automatic placement/);
  await wb.openViewContainer('ClusterLab');
  await wb.waitFor('split_brain A and B running', async () => {
    const items = await wb.treeItems('Nodes');
    const r = items.filter((i) => /^split_brain_[AB]$/.test(i.label));
    return r.length === 2 && r.every((i) => i.icon === 'codicon-play-circle') ? r : undefined;
  }, 60_000);

  await wb.runCommand('ClusterLab: Open Dashboard');
  const frame = dashboardFrame(vs);
  // The CLI reads the same run store: both count the two running instances (0.5 + 0.2 GB on host).
  const report = cliReport(ws);
  const host = report.find((n) => n.name === 'host');
  assert.ok(host);
  assert.equal(host.instances, 2, 'the CLI report counts the running instances');
  assert.equal(host.ram_allocated_gb, 0.7);
  const cards = await wb.waitFor('the dashboard to count the running instances', async () => {
    const c = await readCards(frame);
    return c.find((x) => x.node === 'host')?.fields['instances'] === '2' ? c : undefined;
  }, 30_000);
  compare(report, cards);
  const rows = await frame.locator('vscode-table-row', { hasText: /split_brain_[AB]/ }).allTextContents();
  assert.equal(rows.filter((t) => /running/.test(t)).length, 2, `the instance table shows both running: ${rows.join(' | ')}`);
  await new Promise((r) => setTimeout(r, 1500));
  await wb.screenshot('running');

  await wb.runCommand('ClusterLab: Stop All Instances');
  await wb.page.locator('.monaco-dialog-box .dialog-buttons .monaco-button', { hasText: /^Stop \d+ Instance/ }).first().click({ timeout: 15_000 });
  const after = await wb.waitFor('the dashboard to drop the stopped instances', async () => {
    const c = await readCards(frame);
    return c.find((x) => x.node === 'host')?.fields['instances'] === '0' ? c : undefined;
  }, 30_000);
  compare(cliReport(ws), after);
});
