// The fast parser must agree exactly with the `yaml` package (values, keys and source offsets)
// whenever it accepts a file, and decline (undefined) everything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fastParse } from '../../../src/core/config/fastParse';
import { parseSourceWithYaml, type YNode } from '../../../src/core/config/ast';

function norm(n: YNode | null): unknown {
  if (!n) return null;
  if (n.kind === 'scalar') return ['s', n.value, n.range];
  if (n.kind === 'seq') return ['q', n.range[0], n.items.map(norm)];
  return ['m', n.range[0], n.pairs.map((p) => [p.key, p.keyRange, norm(p.value)])];
}

const root = join(__dirname, '..', '..', '..');
function files(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ya?ml|json)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}
const seeds = [...files('examples'), ...files('test/fixtures/config')].map((f) => readFileSync(f, 'utf8'));

function agree(text: string): boolean {
  const fast = fastParse(text);
  if (fast === undefined) return false;
  const slow = parseSourceWithYaml(text);
  assert.deepEqual(slow.problems, [], `fast path accepted a file the yaml package rejects:\n${text}`);
  assert.equal(JSON.stringify(norm(fast)), JSON.stringify(norm(slow.root)), `trees differ for:\n${text}`);
  return true;
}

test('the fast path handles the examples and agrees with the yaml package', () => {
  for (const f of files('examples')) assert.ok(agree(readFileSync(f, 'utf8')), `fast path declined ${f}`);
});

test('scalars resolve like the YAML 1.2 core schema', () => {
  const t = 'a: 64.0\nb: -3\nc: ~\nd: True\ne: "8"\nf: \'x y\'\ng: 1e3\nh: 0x10\ni: [a, "b", 3, null]\nj: {}\nk: []\nl: foo # comment\nnull: 1\n';
  assert.equal(fastParse(t), undefined, '0x10 is left to the yaml package');
  assert.ok(agree(t.replace('h: 0x10\n', '')));
});

test('mutated configs: whenever the fast path accepts, it agrees (5000 cases)', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const alpha = [' ', '  ', '\n', '-', '- ', ':', ': ', '#', ' #', '"', "'", '[', ']', '{', '}', ',', 'a', '1', '.', '~', 'null', 'true', '0x1', '1e3', 'x: 1', '\n  ', '\n- ', '.5', '-1', '+1', '07', '?', '&a', '*a', '!', '|', '>', '%', '@', '`', '\\', 'é'];
  let accepted = 0;
  for (let k = 0; k < 5000; k++) {
    let t = seeds[Math.floor(rnd() * seeds.length)] as string;
    for (let m = 1 + Math.floor(rnd() * 3); m > 0; m--) {
      const pos = Math.floor(rnd() * (t.length + 1));
      const op = rnd();
      const ins = alpha[Math.floor(rnd() * alpha.length)] as string;
      if (op < 0.4) t = t.slice(0, pos) + ins + t.slice(pos);
      else if (op < 0.7) t = t.slice(0, pos) + t.slice(pos + 1 + Math.floor(rnd() * 3));
      else t = t.slice(0, pos) + ins + t.slice(pos + ins.length);
    }
    if (agree(t)) accepted++;
  }
  assert.ok(accepted > 1000, `the fast path accepted only ${accepted} of 5000`);
});
