// In a real VS Code (code-server + headless Chromium): break a value in the demo workspace's
// cluster.yaml by typing in the editor and see the diagnostic in the Problems panel on the right
// line and column, the same position the CLI reports for the saved file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { launchVSCode, copyWorkspace, waitFor, REPO_ROOT, type VSCode } from './harness';

let vs: VSCode | undefined;
const workspaces: string[] = [];
after(async () => {
  await vs?.close();
  for (const w of workspaces) rmSync(w, { recursive: true, force: true });
});

test('a negative ram_gb typed into cluster.yaml shows in Problems on its line, as the CLI reports it', { timeout: 180_000 }, async () => {
  const ws = copyWorkspace('examples/local');
  workspaces.push(ws);
  const file = join(ws, 'cluster.yaml');
  const lines = readFileSync(file, 'utf8').split('\n');
  const idx = lines.findIndex((l) => /^\s+ram_gb:\s*\d/.test(l));
  assert.ok(idx >= 0, 'examples/local/cluster.yaml has a node ram_gb line');
  const line = idx + 1;

  vs = await launchVSCode({ name: 'diagnostics', workspace: ws });
  const wb = vs.workbench;
  await wb.openFile('cluster.yaml');
  // The demo config is valid: no ClusterLab problem at first.
  await wb.openProblems();
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(
    (await wb.problems()).filter((p) => p.raw.includes('clusterlab')),
    [],
    'the demo cluster.yaml starts valid',
  );
  await wb.screenshot('1-valid');

  // Type the broken value, as a user would.
  await wb.page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await wb.page.keyboard.press('Control+G');
  await wb.page.keyboard.type(String(line));
  await wb.page.keyboard.press('Enter');
  await wb.page.keyboard.press('End');
  await wb.page.keyboard.press('Shift+Home');
  await wb.page.keyboard.type('ram_gb: -4');
  await wb.screenshot('2-typed');

  const problem = await waitFor('the ram_gb diagnostic in Problems', async () => (await wb.problems()).find((p) => /ram_gb/.test(p.message)), 15_000);
  await wb.screenshot('2-negative-ram');
  assert.equal(problem.severity, 'error');
  assert.match(problem.message, /ram_gb\b.*must be greater than 0/);
  assert.equal(problem.line, line, `diagnostic on line ${line}`);
  const col = (lines[idx] as string).indexOf('ram_gb') + 'ram_gb: '.length + 1;
  assert.equal(problem.column, col, 'diagnostic starts at the value');

  // Save; the CLI on the same file reports the same position (one code path).
  await wb.page.keyboard.press('Control+S');
  await waitFor('the file saved', async () => readFileSync(file, 'utf8').includes('ram_gb: -4'), 10_000);
  const cli = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli.js'), 'validate', '--cluster', file], { encoding: 'utf8' });
  assert.equal(cli.status, 1, cli.stdout + cli.stderr);
  const m = /cluster\.yaml:(\d+):(\d+): error: (.*ram_gb.*)/.exec(cli.stdout + cli.stderr);
  assert.ok(m, `CLI names the problem: ${cli.stdout}${cli.stderr}`);
  assert.equal(Number(m[1]), problem.line);
  assert.equal(Number(m[2]), problem.column);

  // Fixing it clears the problem again (on change, debounced).
  await wb.page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await wb.page.keyboard.press('Control+G');
  await wb.page.keyboard.type(String(line));
  await wb.page.keyboard.press('Enter');
  await wb.page.keyboard.press('End');
  await wb.page.keyboard.press('Shift+Home');
  await wb.page.keyboard.type((lines[idx] as string).trim());
  await waitFor('the problem to clear', async () => !(await wb.problems()).some((p) => /ram_gb/.test(p.message)), 15_000);
  await wb.screenshot('3-fixed');
});
