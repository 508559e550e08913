// Hostile ids, paths and environment values through SshConnection against a real sshd: they
// arrive as plain data, and the canary file is never created on the node.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sh } from '../../src/core/shell';
import type { NodeConnection } from '../../src/remote/connection';
import { ConnectionPool } from '../../src/remote/pool';
import { hostileValues } from '../harness/hostile';
import { startSshNodes, type SshCluster } from '../harness/sshNodes';

describe('quoting of hostile values over real SSH', () => {
  let cluster: SshCluster;
  let pool: ConnectionPool;
  let conn: NodeConnection;
  const canaryDir = mkdtempSync(join(tmpdir(), 'cl-canary-'));
  chmodSync(canaryDir, 0o777); // the test user could create the canary if anything ran
  const canary = join(canaryDir, 'canary');
  const hostile = hostileValues(canary).filter((v) => v !== '');
  let base: string;

  before(async () => {
    cluster = await startSshNodes({ count: 1 });
    pool = new ConnectionPool(cluster.poolOptions());
    conn = await pool.get(cluster.nodeConfig(cluster.nodes[0]!));
    base = `${await conn.resolvePath('~')}/quoting-${process.pid}-${Date.now()}`;
  });
  after(async () => {
    await pool?.closeAll();
    await cluster?.stop();
  });

  it('exec of printf returns every value byte for byte', async () => {
    for (const v of hostileValues(canary)) {
      const r = await conn.exec(sh`printf %s ${v}`);
      assert.deepEqual(r.stdout, Buffer.from(v), JSON.stringify(v));
    }
    assert.equal(existsSync(canary), false);
  });

  it('files with hostile names: write, read, stat, tar', async () => {
    for (const [i, v] of hostile.entries()) {
      const name = v.replace(/\//g, '_');
      if (name === '.' || name === '..' || name === '~') continue;
      const path = `${base}/w${i}/${name}`;
      await conn.writeFile(path, `content ${v}`);
      assert.equal((await conn.readFile(path)).toString(), `content ${v}`, JSON.stringify(v));
      assert.equal((await conn.stat(path))?.size, Buffer.byteLength(`content ${v}`));
    }
    const src = mkdtempSync(join(tmpdir(), 'cl-qtar-'));
    mkdirSync(join(src, "d i r'$(x)"));
    writeFileSync(join(src, "d i r'$(x)", 'f;`x`'), 'tarred');
    const tar = spawnSync('tar', ['-c', '-C', src, '.']).stdout;
    const dest = `${base}/tar $(touch ${canary}) ; '`;
    await conn.extractTar(dest, Readable.from([tar]));
    assert.equal((await conn.readFile(`${dest}/d i r'$(x)/f;\`x\``)).toString(), 'tarred');
    assert.equal(existsSync(canary), false);
  });

  it('detached runs with hostile run dirs, cwd and env values', async () => {
    for (const [i, v] of hostile.slice(0, 12).entries()) {
      const runDir = `${base}/run ${i} ${v.replace(/\//g, '_')}`;
      await conn.exec(sh`mkdir -p ${runDir}`);
      const h = await conn.startDetached({ command: 'printf %s "$HOSTILE"', cwd: runDir, env: { HOSTILE: v }, logFile: `${runDir}/log ${v.replace(/\//g, '_')}`, runDir });
      assert.ok(h.pgid > 0);
      for (let t = 0; t < 100 && !(await conn.stat(`${runDir}/exit_code`)); t++) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await conn.readFile(`${runDir}/exit_code`)).toString().trim(), '0');
      assert.deepEqual(await conn.readFile(`${runDir}/log ${v.replace(/\//g, '_')}`), Buffer.from(v), JSON.stringify(v));
    }
    assert.equal(existsSync(canary), false);
  });
});
