// The corpus of broken configs in test/fixtures/config: each one must give a positioned
// diagnostic with the expected message, line and column, through the same loader as the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadWorkspace } from '../../../src/cli/workspace';
import { formatDiagnostic } from '../../../src/core/config/diagnostics';
import { validateClusterText } from '../../../src/core/config/validate';
import type { CliIO } from '../../../src/cli/command';

const dir = join(__dirname, '..', '..', 'fixtures', 'config');

interface Case {
  file: string;
  cluster?: string;
  line: number;
  column: number;
  severity: 'error' | 'warning';
  message: string;
}

function io(cwd: string): CliIO {
  return { cwd, env: {}, out: () => {}, err: () => {}, interactive: false, signal: new AbortController().signal };
}

const { cases } = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { cases: Case[] };

test('the corpus has at least 30 broken configs', () => {
  assert.ok(cases.length >= 30, `only ${cases.length} cases`);
});

for (const c of cases) {
  test(`fixture ${c.file}: ${c.severity} at ${c.line}:${c.column}`, async () => {
    const ws = await loadWorkspace(io(dir), c.cluster ? { cluster: c.cluster, experiments: [c.file] } : { cluster: c.file });
    const printed = ws.diagnostics.map((d) => formatDiagnostic(d));
    const want = `${c.file}:${c.line}:${c.column}: ${c.severity}: `;
    const hit = printed.find((p) => p.startsWith(want) && p.includes(c.message));
    assert.ok(hit, `expected "${want}…${c.message}…" in:\n${printed.join('\n')}`);
    if (c.severity === 'error') assert.equal(ws.model, undefined, 'no model when there is an error');
  });
}

test('the valid fixture cluster gives no diagnostics and a model', async () => {
  const ws = await loadWorkspace(io(dir), { cluster: 'ok-cluster.yaml' });
  assert.deepEqual(ws.diagnostics, []);
  assert.equal(ws.model?.cluster.nodes.length, 2);
});

test('a generated 10 MB file gives a positioned diagnostic and never throws', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'clusterlab-big-'));
  try {
    const lines = ['cluster:', '  name: big', 'nodes:'];
    let size = 30;
    let i = 0;
    while (size < 10 * 1024 * 1024) {
      const node = `  - name: n${i}\n    host: 10.0.${(i >> 8) & 255}.${i & 255}\n    ram_gb: 8\n    reserved_ram_gb: 1\n    max_instances: 2`;
      lines.push(node);
      size += node.length + 1;
      i++;
    }
    // One broken value near the end.
    lines.push('  - name: broken', '    host: h', '    ram_gb: -1');
    const text = lines.join('\n') + '\n';
    assert.ok(text.length >= 10 * 1024 * 1024);
    writeFileSync(join(tmp, 'cluster.yaml'), text);
    const ws = await loadWorkspace(io(tmp), {});
    const ram = ws.diagnostics.find((d) => d.message.includes('ram_gb of node broken must be greater than 0'));
    assert.ok(ram, ws.diagnostics.slice(0, 3).map((d) => formatDiagnostic(d)).join('\n'));
    const wantLine = text.split('\n').indexOf('    ram_gb: -1');
    assert.equal(ram.range.start.line, wantLine);
    assert.equal(ram.range.start.character, 12);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('random bytes and garbage never throw', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const alphabet = 'ab:- \n\t"\'[]{}#&*!|>%@`,?0123456789.';
  for (let k = 0; k < 300; k++) {
    let t = '';
    const n = Math.floor(rnd() * 80);
    for (let j = 0; j < n; j++) t += alphabet[Math.floor(rnd() * alphabet.length)];
    const r = validateClusterText({ file: 'x.yaml', text: t });
    assert.ok(Array.isArray(r.diagnostics));
    for (const d of r.diagnostics) assert.ok(d.range.start.line >= 0 && d.range.start.character >= 0 && d.message.length > 0);
  }
});
