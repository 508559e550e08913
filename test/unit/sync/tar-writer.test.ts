// The deploy stream's tar headers, read back by the system's GNU tar: short names, names split
// into ustar prefix/name, names only a pax header can carry, odd bytes, modes and mtimes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headerSize, padding, trailer, writeFileHeader } from '../../../src/remote/sync/tar-writer';

const root = mkdtempSync(join(tmpdir(), 'cl-tarwriter-'));
after(() => rmSync(root, { recursive: true, force: true }));

function archive(entries: Array<{ name: string; data: Buffer; mode: number; mtime: number }>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const head = Buffer.alloc(headerSize(e.name, e.data.length));
    assert.equal(writeFileHeader(head, 0, e.name, e.data.length, e.mode, e.mtime), head.length);
    parts.push(head, e.data, Buffer.alloc(padding(e.data.length)));
  }
  parts.push(trailer());
  return Buffer.concat(parts);
}

test('tar writer: GNU tar extracts every name, byte and mode exactly', () => {
  const long100 = 'd'.repeat(99) + '/f'; // > 100 bytes, fits prefix/name
  const longSeg = 'x'.repeat(150); // one segment > 100 bytes: only pax can carry it
  const deep = Array.from({ length: 30 }, (_, i) => `dir${i}`).join('/') + '/file.txt'; // > 256 bytes
  const entries = [
    { name: 'a.txt', data: Buffer.from('hello\n'), mode: 0o644, mtime: 1_700_000_000 },
    { name: 'bin/run.sh', data: Buffer.from('#!/bin/sh\n'), mode: 0o755, mtime: 1_700_000_001 },
    { name: 'empty', data: Buffer.alloc(0), mode: 0o600, mtime: 1_700_000_002 },
    { name: 'exact512', data: Buffer.alloc(512, 7), mode: 0o640, mtime: 1_700_000_003 },
    { name: long100, data: Buffer.from('split'), mode: 0o644, mtime: 1_700_000_004 },
    { name: `p/${longSeg}`, data: Buffer.from('pax'), mode: 0o644, mtime: 1_700_000_005 },
    { name: deep, data: Buffer.from('deep'), mode: 0o644, mtime: 1_700_000_006 },
    { name: 'ünïcödé/ファイル ' + 'é'.repeat(60) + '.txt', data: Buffer.from('utf8'), mode: 0o644, mtime: 1_700_000_007 },
    { name: "q/it's \"x\" $(y) `z`\nnl", data: Buffer.from('odd'), mode: 0o4755, mtime: 1_700_000_008 },
  ];
  const tarPath = join(root, 't.tar');
  writeFileSync(tarPath, archive(entries));
  const out = join(root, 'out');
  spawnSync('mkdir', ['-p', out]);
  const r = spawnSync('tar', ['-x', '-p', '-o', '-f', tarPath, '-C', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'no warnings');
  for (const e of entries) {
    const p = join(out, e.name);
    assert.deepEqual(readFileSync(p), e.data, e.name);
    const st = statSync(p);
    assert.equal(st.mode & 0o7777, e.mode, `mode of ${e.name}`);
    assert.equal(st.mtimeMs, e.mtime * 1000, `mtime of ${e.name}`);
  }
  const listed = spawnSync('tar', ['-t', '-f', tarPath], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  assert.equal(listed.length, entries.length, 'one line per entry (tar -t escapes the newline)');
});

test('tar writer: header sizes: 512 for ustar-fitting names, more with a pax header', () => {
  assert.equal(headerSize('a', 1), 512);
  assert.equal(headerSize('d'.repeat(99) + '/f', 1), 512);
  assert.ok(headerSize('x'.repeat(150), 1) >= 1536);
  assert.equal(padding(0), 0);
  assert.equal(padding(1), 511);
  assert.equal(padding(512), 0);
});
