import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoreRules } from '../../../src/core/sync/ignore';
import { emptyManifest, manifestDelta, matchesEntry, parseManifest, parseScanOutput, planSync, serializeDelta, serializeManifest, serializePaths0, useJournal, verifyManifest, type LocalFile, type Manifest } from '../../../src/core/sync/manifest';
import { listingSum } from '../../../src/remote/sync/deploy';
import { spawnSync } from 'node:child_process';

const lf = (path: string, sha: string, size = 1, mode = 0o644, mtimeMs = 1_700_000_000_500): LocalFile => ({ path, sha256: sha, size, mode, mtimeMs });

test('ignore: config patterns, nested ignore files, negation in a deeper file, always-excluded folders', () => {
  const root = IgnoreRules.root(['*.pyc', 'data/']);
  assert.equal(root.ignores('a/b.pyc', false), true);
  assert.equal(root.ignores('data', true), true);
  assert.equal(root.ignores('data', false), false, 'dir-only pattern does not match a file');
  assert.equal(root.ignores('.git', true), true);
  assert.equal(root.ignores('sub/.git', true), true);
  assert.equal(root.ignores('.clusterlab', true), true);
  assert.equal(root.ignores('sub/.clusterlab', true), false, 'only the root .clusterlab is ours');
  assert.equal(root.ignores('logs', true), true, 'run logs are never deployed over a node\'s live logs');
  assert.equal(root.ignores('logs/a.log', false), true);
  assert.equal(root.ignores('src/logs/keep.txt', false), false, 'only the root logs/ is the run log folder');
  const sub = root.child('sub', ['*.log\n/only-here.txt\n', '!keep.pyc\n']);
  assert.equal(sub.ignores('sub/x.log', false), true);
  assert.equal(sub.ignores('x.log', false), false, 'nested patterns do not apply above their folder');
  assert.equal(sub.ignores('sub/only-here.txt', false), true);
  assert.equal(sub.ignores('sub/deeper/only-here.txt', false), false, 'anchored pattern is relative to its folder');
  assert.equal(sub.ignores('sub/keep.pyc', false), false, 'deeper negation re-includes');
  assert.equal(sub.ignores('sub/other.pyc', false), true);
});

test('manifest round trip, and garbage counts as no manifest', () => {
  const m: Manifest = { version: 1, generation: 'g1', files: { 'b c': { sha256: 'x', size: 2, mode: 0o755, mtime: 5 }, a: { sha256: 'y', size: 1, mode: 0o644, mtime: 6 } } };
  assert.deepEqual(parseManifest(serializeManifest(m)), m);
  assert.deepEqual(parseManifest('{not json').files, {});
  assert.deepEqual(parseManifest(JSON.stringify({ version: 1, generation: 'g', files: { '../escape': { sha256: 'x', size: 1, mode: 1, mtime: 1 } } })).files, {});
  assert.equal(serializePaths0(m).toString(), './a\0./b c\0');
});

test('scan output parsing keeps spaces, quotes, $ and newlines in paths', () => {
  const out = Buffer.concat([Buffer.from('{"m":1}\0'), Buffer.from("f 5 1700000000.0000000000 644 ./a b/it's $x\0f 3 1700000001.1234567890 755 ./new\nline\0d 4096 1.0 755 ./dir\0")]);
  const r = parseScanOutput(out);
  assert.equal(r.manifestText, '{"m":1}');
  assert.deepEqual(
    r.records.map((x) => [x.type, x.size, x.mtime, x.mode, x.path]),
    [
      ['f', 5, '1700000000.0000000000', 0o644, "a b/it's $x"],
      ['f', 3, '1700000001.1234567890', 0o755, 'new\nline'],
      ['d', 4096, '1.0', 0o755, 'dir'],
    ],
  );
  assert.equal(parseScanOutput(Buffer.from('CLUSTERLAB_NODIR\n')).noDir, true);
  const withCaps = parseScanOutput(Buffer.from('CLUSTERLAB_CAPS gzip\nCLUSTERLAB_NODIR\n'));
  assert.deepEqual([withCaps.noDir, withCaps.caps], [true, ['gzip']]);
  const noCaps = parseScanOutput(Buffer.concat([Buffer.from('CLUSTERLAB_CAPS\n{"m":1}\0'), Buffer.from('f 1 1.0 644 ./x\0')]));
  assert.deepEqual([noCaps.caps, noCaps.manifestText, noCaps.records.map((x) => x.path)], [[], '{"m":1}', ['x']]);
});

test('verification: exact whole-second mtime, size, mode and type must all match', () => {
  const e = { sha256: 's', size: 5, mode: 0o644, mtime: 1_700_000_000 };
  const rec = { type: 'f', size: 5, mtime: '1700000000.0000000000', mode: 0o644, path: 'a' };
  assert.equal(matchesEntry(rec, e), true);
  assert.equal(matchesEntry({ ...rec, mtime: '1700000000' }, e), true);
  assert.equal(matchesEntry({ ...rec, mtime: '1700000000.0000001000' }, e), false, 'a write in the same second is noticed');
  assert.equal(matchesEntry({ ...rec, size: 6 }, e), false);
  assert.equal(matchesEntry({ ...rec, mode: 0o755 }, e), false);
  assert.equal(matchesEntry({ ...rec, type: 'l' }, e), false);
  const m: Manifest = { version: 1, generation: 'g', files: { a: e, gone: e } };
  assert.deepEqual([...verifyManifest(m, [rec]).keys()], ['a']);
});

test('plan: unchanged, changed, mode change, drifted on node, removed with parent folders deepest first', () => {
  const prev: Manifest = {
    version: 1,
    generation: 'g0',
    files: {
      same: { sha256: 'h1', size: 1, mode: 0o644, mtime: 1 },
      edited: { sha256: 'old', size: 1, mode: 0o644, mtime: 1 },
      chmod: { sha256: 'h3', size: 1, mode: 0o644, mtime: 1 },
      drifted: { sha256: 'h4', size: 1, mode: 0o644, mtime: 1 },
      'x/y/z/gone': { sha256: 'h5', size: 1, mode: 0o644, mtime: 1 },
      'x/gone2': { sha256: 'h6', size: 1, mode: 0o644, mtime: 1 },
    },
  };
  const verified = new Map(Object.entries(prev.files).filter(([p]) => p !== 'drifted'));
  const local = [lf('same', 'h1'), lf('edited', 'new', 7), lf('chmod', 'h3', 1, 0o755), lf('drifted', 'h4'), lf('added', 'h7', 3)];
  const plan = planSync(local, prev, verified, 'g1');
  assert.deepEqual(plan.send.map((f) => f.path).sort(), ['added', 'chmod', 'drifted', 'edited']);
  assert.equal(plan.unchanged, 1);
  assert.deepEqual(plan.remove, ['x/gone2', 'x/y/z/gone']);
  assert.deepEqual(plan.rmdirs, ['x/y/z', 'x/y', 'x']);
  assert.deepEqual(plan.driftedOnNode, ['drifted']);
  assert.equal(plan.bytesToSend, 7 + 1 + 1 + 3);
  assert.equal(plan.next.files.edited?.mtime, 1_700_000_000, 'whole seconds of the local mtime');
  assert.deepEqual(plan.next.files.same, prev.files.same);
  assert.equal(plan.next.files['x/gone2'], undefined);
});

test('journal: manifest.json + journal lines fold in order; a damaged line drops the manifest; small deltas use the journal', () => {
  const e = (sha: string) => ({ sha256: sha, size: 1, mode: 0o644, mtime: 5 });
  const base: Manifest = { version: 1, generation: 'g1', files: { a: e('1'), b: e('2'), c: e('3') } };
  const next: Manifest = { version: 1, generation: 'g2', files: { a: e('1'), b: e('22'), d: e('4') } };
  const d = manifestDelta(base, next);
  assert.deepEqual([Object.keys(d.set).sort(), d.del], [['b', 'd'], ['c']]);
  const text = `${serializeManifest(base)}\n${serializeDelta(d)}${serializeDelta({ generation: 'g3', set: {}, del: ['a'] })}`;
  const m = parseManifest(text);
  assert.equal(m.generation, 'g3');
  assert.deepEqual(Object.keys(m.files).sort(), ['b', 'd']);
  assert.equal(m.files.b?.sha256, '22');
  assert.equal(m.journalOps, 4);
  assert.equal(parseManifest(`${serializeManifest(base)}\n{"generation":"g2","set":{"../x":{"sha256":"x","size":1,"mode":1,"mtime":1}},"del":[]}\n`).generation, '');
  assert.equal(useJournal(base, d), true);
  assert.equal(useJournal(emptyManifest(), d), false, 'no manifest yet: written whole');
  assert.equal(useJournal({ ...base, journalOps: 64 }, d), false, 'journal long enough: compacted');
});

test('listing sum equals LC_ALL=C sort -z -u | sha256sum on the node', () => {
  const records = ["f 5 1700000000.0000000000 644 ./b", "f 3 1.0 755 ./a b/it's", 'f 1 1.0 644 ./new\nline', 'f 1 1.0 644 ./ünï', "f 5 1700000000.0000000000 644 ./b"];
  const r = spawnSync('sh', ['-c', 'LC_ALL=C sort -z -u | sha256sum'], { input: records.map((x) => `${x}\0`).join('') });
  assert.equal(r.stdout.toString().split(' ')[0], listingSum(records));
});
