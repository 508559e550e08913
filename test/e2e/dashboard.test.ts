// In a real VS Code (code-server + headless Chromium): open the ClusterLab dashboard from the
// palette, read every node's numbers out of the webview and check them against
// `clusterlab report --json` for the same workspace; screenshot it in the dark and light theme.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { FrameLocator } from 'playwright-core';
import { launchVSCode, copyWorkspace, waitFor, REPO_ROOT, type VSCode } from './harness';

let vs: VSCode | undefined;
const workspaces: string[] = [];
after(async () => {
  await vs?.close();
  for (const w of workspaces) rmSync(w, { recursive: true, force: true });
});

interface ReportNode {
  name: string;
  status: string;
  instances: number;
  max_instances: number;
  ram_allocated_gb: number;
  ram_total_gb: number;
  ram_utilization_percent: number;
  gpu: boolean;
}

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

test('the dashboard shows the numbers of `clusterlab report --json`, in the dark and light theme', { timeout: 240_000 }, async () => {
  const ws = copyWorkspace('examples/local');
  workspaces.push(ws);
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
