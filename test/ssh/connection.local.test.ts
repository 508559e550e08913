// LocalConnection (type: host nodes) behaves like SshConnection: same exec, files, tar and the
// same detached wrapper. Runs against this machine, no SSH.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { sh } from '../../src/core/shell';
import { ConnectionError } from '../../src/remote/connection';
import { ConnectionPool } from '../../src/remote/pool';

const root = mkdtempSync(join(tmpdir(), 'cl-local-'));

describe('LocalConnection', () => {
  const pool = new ConnectionPool({ localRootDir: root });
  const node = { name: 'ws', type: 'host' as const };

  it('is what the pool gives for type: host, with exec, stdin and exit codes', async () => {
    const conn = await pool.get(node);
    assert.equal(conn.kind, 'local');
    assert.equal(await pool.get(node), conn);
    const r = await conn.exec('pwd; cat; echo e >&2; exit 4', { stdin: 'in' });
    assert.equal(r.code, 4);
    assert.equal(r.stdout.toString(), `${root}\nin`);
    assert.equal(r.stderr.toString(), 'e\n');
    await assert.rejects(conn.exec('sleep 5', { timeoutMs: 100 }), (e: unknown) => e instanceof ConnectionError && e.kind === 'timeout');
  });

  it('files: write, read ranges, stat, resolvePath, missing file', async () => {
    const conn = await pool.get(node);
    await conn.writeFile('sub dir/f', 'hello world', { mode: 0o640 });
    assert.equal((await conn.readFile(join(root, 'sub dir/f'))).toString(), 'hello world');
    assert.equal((await conn.readFile('sub dir/f', { offset: 6, length: 3 })).toString(), 'wor');
    assert.equal((await conn.readFile('sub dir/f', { offset: 6 })).toString(), 'world');
    assert.deepEqual({ ...(await conn.stat('sub dir/f'))!, mtimeMs: 0 }, { size: 11, mode: 0o640, mtimeMs: 0, isDirectory: false });
    assert.equal(await conn.stat('nope'), null);
    await assert.rejects(conn.readFile('nope'), /node ws: cannot read nope: no such file/);
    assert.equal(await conn.resolvePath('~/x'), join(homedir(), 'x'));
    assert.equal(await conn.resolvePath('rel'), join(root, 'rel'));
  });

  it('extractTar', async () => {
    const conn = await pool.get(node);
    const src = mkdtempSync(join(tmpdir(), 'cl-ltar-'));
    writeFileSync(join(src, 'a b'), 'A');
    await conn.extractTar('dest/x y', Readable.from([spawnSync('tar', ['-c', '-C', src, '.']).stdout]));
    assert.equal((await conn.readFile('dest/x y/a b')).toString(), 'A');
  });

  it('startDetached: own session, survives, records pid/pgid/exit_code; SIGTERM is recorded', async () => {
    const conn = await pool.get(node);
    const runDir = join(root, 'run 1');
    const h = await conn.startDetached({ command: 'echo "$V"; sleep 0.3; exit 6', cwd: root, env: { V: 'x y' }, logFile: join(runDir, 'log'), runDir });
    const sid = spawnSync('ps', ['-o', 'sid=', '-p', String(h.pgid)], { encoding: 'utf8' }).stdout.trim();
    assert.equal(sid, String(h.pgid), 'the wrapper leads its own session');
    assert.notEqual(sid, String(process.pid));
    for (let i = 0; i < 100 && !existsSync(join(runDir, 'exit_code')); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await conn.readFile(join(runDir, 'exit_code'))).toString(), '6\n');
    assert.equal((await conn.readFile(join(runDir, 'log'))).toString(), 'x y\n');
    assert.equal((await conn.readFile(join(runDir, 'pid'))).toString(), `${h.pid}\n`);
    assert.equal((await conn.readFile(join(runDir, 'env'))).toString(), "V='x y'\n");
    const run2 = join(root, 'run 2');
    const h2 = await conn.startDetached({ command: 'sleep 30', cwd: root, env: {}, logFile: join(run2, 'log'), runDir: run2 });
    process.kill(-h2.pgid, 'SIGTERM');
    for (let i = 0; i < 100 && !existsSync(join(run2, 'exit_code')); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await conn.readFile(join(run2, 'exit_code'))).toString(), '143\n');
    await assert.rejects(conn.startDetached({ command: 'true', cwd: join(root, 'missing dir'), env: {}, logFile: join(root, 'r3/log'), runDir: join(root, 'r3') }), /cannot cd to/);
    await conn.exec(sh`true ${root}`);
  });
});
