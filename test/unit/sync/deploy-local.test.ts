// Deploy through LocalConnection (a `type: host` node in copy mode uses exactly this path).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../src/remote/local';
import { deploy, prepareSource } from '../../../src/remote/sync/deploy';
import { deployScenarios } from './scenarios';

const root = mkdtempSync(join(tmpdir(), 'cl-deploy-local-'));
after(() => rmSync(root, { recursive: true, force: true }));
const conn = new LocalConnection('host');

for (const options of [{}, { compress: false }]) {
  const sub = options.compress === false ? 'plain' : 'gz';
  deployScenarios(test, {
    conn: async () => conn,
    dirs: (name) => {
      const src = join(root, sub, name, 'src');
      mkdirSync(src, { recursive: true });
      return { src, dst: join(root, sub, name, 'dst with space') };
    },
    options,
  });
}

for (const compress of [true, false]) {
  test(`a file that vanishes after the walk fails the deploy with its name, never hangs, and the node keeps its old content (${compress ? 'gzip' : 'plain'})`, async () => {
    const base = join(root, `vanish-${compress}`);
    const src = join(base, 'src');
    const dst = join(base, 'dst');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'keep.txt'), 'old\n');
    await deploy(conn, { sourceDir: src, remoteDir: dst, compress });
    writeFileSync(join(src, 'keep.txt'), 'new\n');
    for (let i = 0; i < 50; i++) writeFileSync(join(src, `f${i}.txt`), `file ${i}\n`.repeat(100));
    const prepared = await prepareSource(src);
    rmSync(join(src, 'f25.txt'));
    const outcome = await Promise.race([
      deploy(conn, { sourceDir: src, remoteDir: dst, prepared, compress }).then(
        () => 'resolved',
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      ),
      new Promise<string>((r) => setTimeout(() => r('hung'), 15000)),
    ]);
    assert.notEqual(outcome, 'hung');
    assert.notEqual(outcome, 'resolved');
    assert.match(outcome, /f25\.txt/);
    assert.equal(readFileSync(join(dst, 'keep.txt'), 'utf8'), 'old\n', 'nothing of the failed deploy was applied');
    assert.equal(existsSync(join(dst, 'f0.txt')), false);
    // The next deploy, with the file set as it now is, goes through.
    await deploy(conn, { sourceDir: src, remoteDir: dst, compress });
    assert.equal(readFileSync(join(dst, 'keep.txt'), 'utf8'), 'new\n');
  });
}
