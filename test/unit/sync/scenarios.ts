// Deploy behaviour shared by the LocalConnection tests (test/unit/sync) and the real-sshd tests
// (test/ssh/deploy.test.ts). The "node" writes to this machine's filesystem in both cases, so
// the trees are compared byte for byte directly.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeConnection } from '../../../src/remote/connection';
import { deploy as deployRaw, type DeployOptions, type DeployProgress } from '../../../src/remote/sync/deploy';

export interface ScenarioEnv {
  conn: () => Promise<NodeConnection>;
  /** A fresh local source folder and a fresh target folder the node can write. */
  dirs: (name: string) => { src: string; dst: string };
  /** Extra deploy options for every deploy of the run (e.g. `compress: false`), named in the test titles. */
  options?: { compress?: boolean };
}

/** What `.clusterlab/deploy/` holds after a deploy: no staging folder, no temporary name. */
export const STATE_FILES = ['generation', 'manifest.json', 'paths0'];
/** ... plus these once a small change was appended to the manifest journal. */
export const JOURNAL_FILES = ['manifest.journal', 'paths0.add'];

function stateFiles(dst: string): string[] {
  return readdirSync(join(dst, '.clusterlab/deploy')).sort();
}

type T = (name: string, fn: () => Promise<void>) => unknown;

/** path -> [mode, sha256] of every regular file below `root`, skipping the given top-level names. */
export function snapshot(root: string, skipTop: readonly string[] = ['.clusterlab']): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (rel === '' && skipTop.includes(name)) continue;
      const abs = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(abs, r);
      else if (st.isFile()) out.set(r, `${(st.mode & 0o7777).toString(8)} ${createHash('sha256').update(readFileSync(abs)).digest('hex')}`);
      else out.set(r, 'other');
    }
  };
  walk(root, '');
  return out;
}

function write(root: string, rel: string, data: string | Buffer, mode = 0o644): void {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, data);
  chmodSync(p, mode);
}

const WEIRD = ["sp ace/it's a \"file\" $HOME `x`.txt", 'dollar/$(touch pwned)', 'semi;colon|pipe&.sh', 'ünïcödé/ファイル.txt', '-leading-dash', 'new\nline'];

export function deployScenarios(testRaw: T, env: ScenarioEnv): void {
  const label = env.options?.compress === false ? ' [uncompressed stream]' : '';
  const test: T = (name, fn) => testRaw(name + label, fn);
  const deploy = (conn: NodeConnection, opts: DeployOptions) => deployRaw(conn, { ...env.options, ...opts });
  test('first sync: content and modes equal byte for byte, odd names included; second sync sends nothing', async () => {
    const { src, dst } = env.dirs('first');
    write(src, 'main.py', 'print(1)\n');
    write(src, 'bin/run.sh', '#!/bin/sh\necho run\n', 0o755);
    write(src, 'secret.key', 'k', 0o600);
    write(src, 'deep/a/b/c/d.txt', 'deep');
    write(src, 'empty.txt', '');
    write(src, 'big.bin', Buffer.alloc(3 * 1024 * 1024 + 17, 0xab));
    // Incompressible: stored in the gzip stream, between compressed entries.
    write(src, 'models/random.bin', randomBytes(2 * 1024 * 1024 + 5));
    write(src, 'models/zz-after.txt', 'after the stored file');
    WEIRD.forEach((w, i) => write(src, w, `weird ${i}`));
    const conn = await env.conn();
    const progress: DeployProgress[] = [];
    const r1 = await deploy(conn, { sourceDir: src, remoteDir: dst, onProgress: (p) => progress.push(p) });
    assert.equal(r1.filesSent, 8 + WEIRD.length);
    assert.deepEqual(snapshot(dst), snapshot(src));
    const last = progress.at(-1);
    assert.equal(last?.phase, 'done');
    assert.equal(last?.filesDone, r1.filesSent);
    assert.equal(last?.bytesDone, last?.bytesTotal);
    assert.ok((last?.bytesTotal ?? 0) > 3 * 1024 * 1024);
    assert.ok(progress.some((p) => p.phase === 'transfer' && p.filesDone > 0 && p.filesDone < r1.filesSent), 'progress reported mid-transfer');
    const r2 = await deploy(conn, { sourceDir: src, remoteDir: dst });
    assert.equal(r2.filesSent, 0);
    assert.equal(r2.filesRemoved, 0);
    assert.equal(r2.unchanged, r1.filesSent);
    assert.deepEqual(stateFiles(dst), STATE_FILES, 'no staging or temp names remain');
    // Without our local caches (hashes, manifest copy) the node's manifest is fetched and verified.
    rmSync(join(src, '.clusterlab'), { recursive: true, force: true });
    const r3 = await deploy(conn, { sourceDir: src, remoteDir: dst });
    assert.equal(r3.filesSent, 0);
    assert.equal(r3.unchanged, r1.filesSent);
  });

  test('local edits, mode changes, deletions; user files outside the manifest are kept', async () => {
    const { src, dst } = env.dirs('delta');
    write(src, 'keep.txt', 'keep');
    write(src, 'edit.txt', 'v1');
    write(src, 'mode.sh', 'x');
    write(src, 'gone/a/b.txt', 'bye');
    write(src, 'gone2.txt', 'bye');
    const conn = await env.conn();
    await deploy(conn, { sourceDir: src, remoteDir: dst });
    write(dst, 'logs/run.log', 'user data on the node');
    write(dst, 'gone/user-file.txt', 'also user data');
    write(src, 'edit.txt', 'version two');
    chmodSync(join(src, 'mode.sh'), 0o750);
    rmSync(join(src, 'gone'), { recursive: true });
    unlinkSync(join(src, 'gone2.txt'));
    write(src, 'added/new.txt', 'new');
    const r = await deploy(conn, { sourceDir: src, remoteDir: dst });
    assert.deepEqual(r.sent.sort(), ['added/new.txt', 'edit.txt', 'mode.sh']);
    assert.deepEqual(r.removed.sort(), ['gone/a/b.txt', 'gone2.txt']);
    assert.equal(readFileSync(join(dst, 'logs/run.log'), 'utf8'), 'user data on the node');
    assert.equal(readFileSync(join(dst, 'gone/user-file.txt'), 'utf8'), 'also user data');
    assert.equal(existsSync(join(dst, 'gone/a')), false, 'emptied folder removed');
    const want = snapshot(src);
    const got = snapshot(dst, ['.clusterlab', 'logs']);
    got.delete('gone/user-file.txt');
    assert.deepEqual(got, want);
  });

  test('a file changed on the node (same size, same second) or deleted there is noticed and restored', async () => {
    const { src, dst } = env.dirs('drift');
    write(src, 'a.txt', 'AAAA');
    write(src, 'b.txt', 'BBBB');
    write(src, 'c.txt', 'CCCC');
    const conn = await env.conn();
    await deploy(conn, { sourceDir: src, remoteDir: dst });
    writeFileSync(join(dst, 'a.txt'), 'XXXX'); // same size, written now
    unlinkSync(join(dst, 'b.txt'));
    const r = await deploy(conn, { sourceDir: src, remoteDir: dst });
    assert.deepEqual(r.sent.sort(), ['a.txt', 'b.txt']);
    assert.deepEqual(r.driftedOnNode.sort(), ['a.txt', 'b.txt']);
    assert.deepEqual(snapshot(dst), snapshot(src));
    chmodSync(join(dst, 'c.txt'), 0o777);
    const r2 = await deploy(conn, { sourceDir: src, remoteDir: dst });
    assert.deepEqual(r2.sent, ['c.txt'], 'a mode changed on the node is restored');
    assert.deepEqual(snapshot(dst), snapshot(src));
  });

  test('small changes go to the manifest journal; a client without our caches still reads it; an unchanged node answers in a few bytes; drift after a journal deploy is noticed', async () => {
    const { src, dst } = env.dirs('journal');
    for (let i = 0; i < 80; i++) write(src, `f/${i}.txt`, `file ${i}`);
    const conn = await env.conn();
    const scans: number[] = [];
    const counting: NodeConnection = Object.create(conn) as NodeConnection;
    counting.exec = async (cmd, o) => {
      const r = await conn.exec(cmd, o);
      // The scan's answer: a scan exec's output, or a sync exec's up to the end-of-scan marker.
      if (cmd.includes('clusterlab-scan')) scans.push(r.stdout.length);
      else if (cmd.includes('clusterlab-sync')) scans.push(r.stdout.indexOf('\0CLUSTERLAB_SCAN_END\n'));
      return r;
    };
    await deploy(counting, { sourceDir: src, remoteDir: dst });
    assert.deepEqual(stateFiles(dst), STATE_FILES);
    write(src, 'f/1.txt', 'edited');
    unlinkSync(join(src, 'f/2.txt'));
    write(src, 'f/new.txt', 'new');
    const r1 = await deploy(counting, { sourceDir: src, remoteDir: dst });
    assert.deepEqual([r1.sent.sort(), r1.removed], [['f/1.txt', 'f/new.txt'], ['f/2.txt']]);
    assert.deepEqual(stateFiles(dst), [...STATE_FILES, ...JOURNAL_FILES].sort(), 'journal used for a small change');
    write(src, 'f/2.txt', 'back again'); // a path that left the manifest comes back
    await deploy(counting, { sourceDir: src, remoteDir: dst });
    assert.deepEqual(snapshot(dst), snapshot(src));
    scans.length = 0;
    const noop = await deploy(counting, { sourceDir: src, remoteDir: dst });
    assert.equal(noop.filesSent, 0);
    assert.ok((scans[0] ?? Infinity) < 100, `unchanged node answered in ${scans[0]} bytes`);
    // A file changed on the node after a journal deploy is still noticed.
    writeFileSync(join(dst, 'f/new.txt'), 'NEW');
    const r2 = await deploy(counting, { sourceDir: src, remoteDir: dst });
    assert.deepEqual([r2.sent, r2.driftedOnNode], [['f/new.txt'], ['f/new.txt']]);
    // Without our caches the node's manifest.json + journal is read and verified.
    rmSync(join(src, '.clusterlab'), { recursive: true, force: true });
    const r3 = await deploy(counting, { sourceDir: src, remoteDir: dst });
    assert.deepEqual([r3.filesSent, r3.filesRemoved, r3.unchanged], [0, 0, 81]);
    // Many changes: manifest.json is written afresh and the journal dropped.
    for (let i = 0; i < 80; i++) write(src, `f/${i}.txt`, `v2 ${i}`);
    const r4 = await deploy(counting, { sourceDir: src, remoteDir: dst });
    assert.equal(r4.filesSent, 80);
    assert.deepEqual(stateFiles(dst), STATE_FILES);
    assert.deepEqual(snapshot(dst), snapshot(src));
  });

  test('a type change both ways: file becomes folder, folder becomes file', async () => {
    const { src, dst } = env.dirs('types');
    write(src, 'x', 'file');
    write(src, 'y/inner.txt', 'in a folder');
    const conn = await env.conn();
    await deploy(conn, { sourceDir: src, remoteDir: dst });
    rmSync(join(src, 'x'));
    rmSync(join(src, 'y'), { recursive: true });
    write(src, 'x/now-a-folder.txt', 'f');
    write(src, 'y', 'now a file');
    await deploy(conn, { sourceDir: src, remoteDir: dst });
    assert.deepEqual(snapshot(dst), snapshot(src));
  });

  test('ignore rules: config patterns, nested .gitignore, .clusterlabignore, .git and .clusterlab; symlinks skipped with a reason', async () => {
    const { src, dst } = env.dirs('ignore');
    write(src, 'keep.py', 'k');
    write(src, 'x.pyc', 'c');
    write(src, 'data/huge.bin', 'd');
    write(src, '.gitignore', '*.pyc\n');
    write(src, 'sub/.gitignore', '*.tmp\n!important.pyc\n');
    write(src, 'sub/a.tmp', 't');
    write(src, 'sub/important.pyc', 'i');
    write(src, 'sub/ok.txt', 'o');
    write(src, '.clusterlabignore', 'secret/\n');
    write(src, 'secret/token', 's');
    write(src, '.git/HEAD', 'ref');
    write(src, '.clusterlab/runs/x.json', '{}');
    symlinkSync('keep.py', join(src, 'link.py'));
    const conn = await env.conn();
    const r = await deploy(conn, { sourceDir: src, remoteDir: dst, exclude: ['data/'] });
    assert.deepEqual(r.sent.sort(), ['.clusterlabignore', '.gitignore', 'keep.py', 'sub/.gitignore', 'sub/important.pyc', 'sub/ok.txt']);
    assert.deepEqual(r.skipped.map((s) => s.path), ['link.py']);
    assert.match(r.skipped[0]?.why ?? '', /symbolic link/);
    assert.equal(existsSync(join(dst, 'x.pyc')), false);
    assert.equal(existsSync(join(dst, '.git')), false);
    // A file that becomes excluded is removed from the node like a deleted one.
    const r2 = await deploy(conn, { sourceDir: src, remoteDir: dst, exclude: ['data/', 'sub/ok.txt'] });
    assert.deepEqual(r2.removed, ['sub/ok.txt']);
    assert.equal(existsSync(join(dst, 'sub/ok.txt')), false);
  });

  test('dry run reports the plan and changes nothing', async () => {
    const { src, dst } = env.dirs('dry');
    write(src, 'a.txt', 'a');
    const conn = await env.conn();
    const r = await deploy(conn, { sourceDir: src, remoteDir: dst, dryRun: true });
    assert.deepEqual(r.sent, ['a.txt']);
    assert.equal(existsSync(join(dst, 'a.txt')), false);
  });

  test('atomic: an interrupted sync leaves the old content, readers never see a partial file, no staging left behind', async () => {
    const { src, dst } = env.dirs('atomic');
    const v1 = Buffer.alloc(24 * 1024 * 1024, 1);
    const v2 = Buffer.alloc(24 * 1024 * 1024, 2);
    write(src, 'model.bin', v1);
    write(src, 'small.txt', 'one');
    const conn = await env.conn();
    await deploy(conn, { sourceDir: src, remoteDir: dst });
    write(src, 'model.bin', v2);
    write(src, 'small.txt', 'two');
    const ac = new AbortController();
    await assert.rejects(
      deploy(conn, {
        sourceDir: src,
        remoteDir: dst,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.phase === 'transfer' && p.bytesDone > 4 * 1024 * 1024) ac.abort();
        },
      }),
    );
    assert.ok(readFileSync(join(dst, 'model.bin')).equals(v1), 'old content after an interrupted sync');
    assert.equal(readFileSync(join(dst, 'small.txt'), 'utf8'), 'one');
    // Readers polling the final name during a full sync see old or new, never a mix.
    let reads = 0;
    let stop = false;
    const poll = (async () => {
      while (!stop) {
        const b = readFileSync(join(dst, 'model.bin'));
        assert.ok(b.equals(v1) || b.equals(v2), 'partial file visible under its final name');
        reads++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await deploy(conn, { sourceDir: src, remoteDir: dst });
    stop = true;
    await poll;
    assert.ok(reads > 0);
    assert.ok(readFileSync(join(dst, 'model.bin')).equals(v2));
    // The staging folder of the interrupted sync is gone too (its shell is dead).
    assert.deepEqual(stateFiles(dst), [...STATE_FILES, ...JOURNAL_FILES].sort());
  });
}
