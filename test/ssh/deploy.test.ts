// Deploy against real OpenSSH sshd nodes: the shared scenarios (content, modes, deletions,
// drift on the node, odd names, ignore rules, atomicity), a full disk, and a parallel deploy
// with one dead node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSshNodes, type SshCluster } from '../harness/sshNodes';
import { ConnectionPool } from '../../src/remote/pool';
import { ClusterLabError } from '../../src/core/errors';
import { deploy } from '../../src/remote/sync/deploy';
import { deployAll } from '../../src/remote/sync/deploy-all';
import { deployScenarios, snapshot, STATE_FILES } from '../unit/sync/scenarios';

let cluster: SshCluster;
let pool: ConnectionPool;
const work = `/tmp/clusterlab-deploy-ssh-${process.pid}`;
let tmpfsDir: string | undefined;

before(async () => {
  cluster = await startSshNodes({ count: 3 });
  pool = new ConnectionPool(cluster.poolOptions());
  mkdirSync(join(work, 'local'), { recursive: true });
  mkdirSync(join(work, 'remote'), { recursive: true });
  spawnSync('chown', [cluster.userName, join(work, 'remote')]);
  spawnSync('chmod', ['755', work]);
});

after(async () => {
  if (tmpfsDir) spawnSync('umount', ['-l', tmpfsDir]);
  await pool?.closeAll();
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
});

deployScenarios(test, {
  conn: () => pool.get(cluster.nodeConfig(cluster.nodes[0] as NonNullable<SshCluster['nodes'][0]>)),
  dirs: (name) => {
    const src = join(work, 'local', name);
    mkdirSync(src, { recursive: true });
    return { src, dst: join(work, 'remote', `${name} it's $dst`) };
  },
});

test('a full disk on the node: named node, "free space" hint, old files intact, no staging left', async () => {
  const n = cluster.nodes[0] as NonNullable<SshCluster['nodes'][0]>;
  tmpfsDir = join(work, 'remote', 'tiny');
  mkdirSync(tmpfsDir, { recursive: true });
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0755', 'tmpfs', tmpfsDir]).status, 0);
  spawnSync('chown', [cluster.userName, tmpfsDir]);
  const src = join(work, 'local', 'tiny');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'old');
  const conn = await pool.get(cluster.nodeConfig(n));
  await deploy(conn, { sourceDir: src, remoteDir: tmpfsDir });
  writeFileSync(join(src, 'a.txt'), 'new');
  writeFileSync(join(src, 'big.bin'), Buffer.alloc(4 * 1024 * 1024, 1));
  await assert.rejects(deploy(conn, { sourceDir: src, remoteDir: tmpfsDir }), (e: unknown) => {
    assert.ok(e instanceof ClusterLabError, String(e));
    assert.equal(e.code, 'deploy.disk_full');
    assert.match(e.message, new RegExp(`^node ${n.name}: `));
    assert.match(e.message, /Free space in .*tiny/);
    return true;
  });
  assert.equal(readFileSync(join(tmpfsDir, 'a.txt'), 'utf8'), 'old');
  assert.deepEqual(spawnSync('ls', ['-A', join(tmpfsDir, '.clusterlab/deploy')]).stdout.toString().trim().split('\n').sort(), STATE_FILES);
});

test('deployAll: three nodes in parallel, one dead: the others succeed, the dead one is named with a fix', async () => {
  const src = join(work, 'local', 'multi');
  mkdirSync(join(src, 'pkg'), { recursive: true });
  for (let i = 0; i < 50; i++) writeFileSync(join(src, 'pkg', `m${i}.py`), `x = ${i}\n`);
  const [a, b, c] = cluster.nodes as [SshCluster['nodes'][0], SshCluster['nodes'][0], SshCluster['nodes'][0]];
  c.kill();
  const targets = [a, b, c].map((n) => ({ node: cluster.nodeConfig(n), remoteDir: join(work, 'remote', `multi-${n.name}`) }));
  const phases = new Set<string>();
  const { outcomes } = await deployAll(targets, pool, { sourceDir: src, concurrency: 3, onProgress: (p) => phases.add(`${p.node}:${p.phase}`) });
  assert.deepEqual(
    outcomes.map((o) => [o.node, o.status]),
    [
      [a.name, 'deployed'],
      [b.name, 'deployed'],
      [c.name, 'failed'],
    ],
  );
  const dead = outcomes[2];
  assert.ok(dead && dead.status === 'failed');
  assert.match(dead.error, new RegExp(`node ${c.name}`));
  assert.ok(dead.fix.length > 0);
  for (const n of [a, b]) assert.deepEqual(snapshot(join(work, 'remote', `multi-${n.name}`)), snapshot(src));
  assert.ok(phases.has(`${a.name}:done`) && phases.has(`${b.name}:done`));
  await c.start();
});
