// The bad-input corpus, CLI half: every case of test/corpus/cli.json runs the built dist/cli.js in
// a fresh copy of examples/local. Each must end with the expected exit code and a message that
// says where and what, with no stack trace, no TypeError, no "undefined" or "[object Object]",
// and no canary file created by an injected command.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';

const CLI = resolve(__dirname, '../../dist/cli.js');
const EXAMPLE = resolve(__dirname, '../../examples/local');

type Generated = { prefix?: string; repeat: string; times: number; suffix?: string; join?: string } | { base64: string } | { symlink: string };
type Arg = string | { repeat: string; times: number; join: string };

interface CliCase {
  id: string;
  source: string;
  args: Arg[];
  cwd?: string;
  files?: Record<string, string | Generated>;
  canary?: string;
  expect: { code: number; where: string; match: string[]; maxMs?: number; maxOutput?: number };
}

const { cases } = JSON.parse(readFileSync(resolve(__dirname, '../corpus/cli.json'), 'utf8')) as { cases: CliCase[] };
const root = mkdtempSync(join(tmpdir(), 'cl-corpus-'));
after(() => rmSync(root, { recursive: true, force: true }));

function expand(arg: Arg): string {
  if (typeof arg === 'string') return arg;
  return Array.from({ length: arg.times }, (_, i) => arg.repeat.replace(/\{i\}/g, String(i))).join(arg.join);
}

function writeInput(ws: string, name: string, content: string | Generated): void {
  const p = join(ws, name);
  mkdirSync(dirname(p), { recursive: true });
  if (typeof content === 'string') writeFileSync(p, content);
  else if ('symlink' in content) symlinkSync(content.symlink, p);
  else if ('base64' in content) writeFileSync(p, Buffer.from(content.base64, 'base64'));
  else writeFileSync(p, `${content.prefix ?? ''}${content.repeat.repeat(content.times)}${content.suffix ?? ''}`);
}

describe('corpus: bad input to the CLI', () => {
  it('has at least 50 cases with unique ids', () => {
    assert.ok(cases.length >= 50, `${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.id)).size, cases.length);
  });
  for (const c of cases) {
    it(`${c.id} (${c.source})`, () => {
      const ws = join(root, c.id);
      cpSync(EXAMPLE, ws, { recursive: true, filter: (p) => !/\/(\.clusterlab|logs)(\/|$)/.test(p) });
      for (const [name, content] of Object.entries(c.files ?? {})) writeInput(ws, name, content);
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [CLI, ...c.args.map(expand)], {
        cwd: join(ws, c.cwd ?? '.'),
        encoding: 'utf8',
        env: { ...process.env, SSH_AUTH_SOCK: '', CLUSTERLAB_DEBUG: '' },
        timeout: 60_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      const ms = Date.now() - t0;
      const out = `${r.stdout}${r.stderr}`;
      const show = out.length > 2000 ? `${out.slice(0, 2000)}…` : out;
      assert.equal(r.error, undefined, `${r.error?.message ?? ''} after ${ms} ms`);
      assert.equal(r.status, c.expect.code, `exit ${r.status} (signal ${r.signal ?? '-'}):\n${show}`);
      assert.ok(r.stderr.length > 0 || c.expect.code === 0, 'a message on stderr');
      assert.match(out, new RegExp(c.expect.where), `where: /${c.expect.where}/ in\n${show}`);
      for (const m of c.expect.match) assert.match(out, new RegExp(m), `what: /${m}/ in\n${show}`);
      assert.doesNotMatch(out, /^\s+at .+[:(]\d+/m, `a stack trace:\n${show}`);
      assert.doesNotMatch(out, /TypeError|RangeError|ReferenceError|\[object Object\]|\bundefined\b|\bNaN\b/, show);
      if (c.expect.maxMs !== undefined) assert.ok(ms < c.expect.maxMs, `${ms} ms`);
      if (c.expect.maxOutput !== undefined) assert.ok(out.length < c.expect.maxOutput, `${out.length} characters of output`);
      if (c.canary) {
        assert.equal(existsSync(join(ws, c.canary)), false, 'canary created in the workspace');
        assert.equal(existsSync(join(ws, c.cwd ?? '.', c.canary)), false, 'canary created in the cwd');
      }
      rmSync(ws, { recursive: true, force: true });
    });
  }
});
