// SshConnection and ConnectionPool against real OpenSSH sshd processes (test/harness).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ConnectionError, type NodeConnection } from '../../src/remote/connection';
import { ConnectionPool } from '../../src/remote/pool';
import { sh } from '../../src/core/shell';
import { freePort, startSshNodes, type SshCluster } from '../harness/sshNodes';

const isKind = (kind: string) => (e: unknown) => {
  assert.ok(e instanceof ConnectionError, `expected ConnectionError, got ${String(e)}`);
  assert.equal(e.kind, kind, e.message);
  return true;
};

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SshConnection against real sshd', () => {
  let cluster: SshCluster;
  let pool: ConnectionPool;
  const work = mkdtempSync(join(tmpdir(), 'cl-conn-'));

  before(async () => {
    cluster = await startSshNodes({ count: 2 });
    pool = new ConnectionPool({ ...cluster.poolOptions(), retries: 0 });
  });
  after(async () => {
    await pool?.closeAll();
    await cluster?.stop();
  });

  it('connects by key and runs commands with streamed output and exit codes', async () => {
    const conn = await pool.get(cluster.nodeConfig(cluster.nodes[0]!));
    assert.equal(conn.kind, 'ssh');
    const chunks: string[] = [];
    const r = await conn.exec('id -un; echo oops >&2; exit 3', { onStdout: (c) => chunks.push(c.toString()) });
    assert.equal(r.code, 3);
    assert.equal(r.stdout.toString(), `${cluster.userName}\n`);
    assert.equal(r.stderr.toString(), 'oops\n');
    assert.equal(chunks.join(''), `${cluster.userName}\n`);
    const withStdin = await conn.exec('wc -c', { stdin: Buffer.alloc(100_000, 7) });
    assert.equal(withStdin.stdout.toString().trim(), '100000');
  });

  it('authenticates with ed25519, ECDSA (256, 384, 521) and RSA keys, encrypted ones too; a second node reuses the loaded key', async () => {
    const keys: Array<[string, string[]]> = [
      ['ed25519', ['-t', 'ed25519']],
      ['ecdsa-256', ['-t', 'ecdsa', '-b', '256']],
      ['ecdsa-384', ['-t', 'ecdsa', '-b', '384']],
      ['ecdsa-521', ['-t', 'ecdsa', '-b', '521']],
      ['rsa-3072', ['-t', 'rsa', '-b', '3072']],
      ['rsa-enc', ['-t', 'rsa', '-b', '2048', '-N', 'pass phrase']],
    ];
    for (const [name, args] of keys) {
      const path = join(work, `key-${name}`);
      const r = spawnSync('ssh-keygen', ['-q', ...(args.includes('-N') ? [] : ['-N', '']), ...args, '-C', name, '-f', path]);
      assert.equal(r.status, 0, r.stderr.toString());
      cluster.authorize(readFileSync(`${path}.pub`, 'utf8'));
      // a config with no IdentityFile, so the node's key is the only one offered
      const bare = join(work, `cfg-${name}`);
      writeFileSync(bare, '');
      const p = new ConnectionPool({ knownHostsPath: cluster.knownHostsPath, sshConfigPath: bare, agentSocket: '', retries: 0, passphrase: async () => 'pass phrase' });
      try {
        const node = { ...cluster.nodeConfig(cluster.nodes[0]!), name: `n-${name}`, ssh_key_path: path };
        const conn = await p.get(node);
        assert.equal((await conn.exec('echo ok')).stdout.toString(), 'ok\n', name);
        // a second node on the same pool: the decoded key is reused
        const conn2 = await p.get({ ...cluster.nodeConfig(cluster.nodes[1]!), name: `m-${name}`, ssh_key_path: path });
        assert.equal((await conn2.exec('echo ok')).stdout.toString(), 'ok\n', name);
      } finally {
        await p.closeAll();
      }
    }
  });

  it('reuses one connection per node, also for concurrent gets', async () => {
    const node = cluster.nodeConfig(cluster.nodes[1]!);
    const [a, b, c] = await Promise.all([pool.get(node), pool.get(node), pool.get(node)]);
    assert.equal(a, b);
    assert.equal(b, c);
    // many commands at once on the one connection (more than sshd's MaxSessions of 10)
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => a.exec(`echo ${i}`)));
    assert.deepEqual(
      results.map((r) => r.stdout.toString().trim()),
      Array.from({ length: 30 }, (_, i) => String(i)),
    );
    const sessions = await a.exec('echo $SSH_CONNECTION');
    const again = await a.exec('echo $SSH_CONNECTION');
    assert.equal(sessions.stdout.toString(), again.stdout.toString(), 'same TCP connection (same client port)');
  });

  it('connects by ssh config alias (Host, HostName, Port, User, IdentityFile) and through Include', async () => {
    const cfg = join(work, 'config-include');
    writeFileSync(cfg, `Include ${cluster.sshConfigPath}\n`);
    const p = new ConnectionPool({ knownHostsPath: cluster.knownHostsPath, sshConfigPath: cfg, agentSocket: '', retries: 0 });
    try {
      const conn = await p.get({ name: 'by-alias', host: cluster.nodes[1]!.name, type: 'generic' });
      assert.equal((await conn.exec('id -un')).stdout.toString().trim(), cluster.userName);
    } finally {
      await p.closeAll();
    }
  });

  it('explicit node fields override the ssh config', async () => {
    const cfg = join(work, 'config-override');
    const n = cluster.nodes[0]!;
    writeFileSync(cfg, `Host over\n  HostName 127.0.0.1\n  Port 1\n  User nobody-here\n  IdentityFile /nonexistent\n`);
    const p = new ConnectionPool({ knownHostsPath: cluster.knownHostsPath, sshConfigPath: cfg, agentSocket: '', retries: 0 });
    try {
      const conn = await p.get({ name: 'over', host: 'over', type: 'generic', ssh_port: n.port, ssh_user: n.userName, ssh_key_path: n.keyPath });
      assert.equal((await conn.exec('id -un')).stdout.toString().trim(), cluster.userName);
    } finally {
      await p.closeAll();
    }
  });

  it('connects through ProxyJump via another test sshd', async () => {
    const [jump, target] = cluster.nodes as [SshCluster['nodes'][0], SshCluster['nodes'][0]];
    const cfg = join(work, 'config-jump');
    writeFileSync(cfg, `Include ${cluster.sshConfigPath}\n\nHost via-jump\n  HostName 127.0.0.1\n  Port ${target.port}\n  User ${cluster.userName}\n  IdentityFile ${cluster.clientKeyPath}\n  ProxyJump ${jump.name}\n`);
    const p = new ConnectionPool({ knownHostsPath: cluster.knownHostsPath, sshConfigPath: cfg, agentSocket: '', retries: 0 });
    const dropped: string[] = [];
    p.onDidDisconnect((node) => dropped.push(node));
    try {
      const conn = await p.get({ name: 'jumped', host: 'via-jump', type: 'generic' });
      assert.equal((await conn.exec('echo through')).stdout.toString(), 'through\n');
      // The target's sshd sees the connection coming from the jump host's forwarding: kill
      // every process of the jump node and the target connection must drop with it.
      jump.kill();
      await waitFor(() => dropped.includes('jumped'), 5000);
      await assert.rejects(conn.exec('true'), isKind('disconnected'));
    } finally {
      await p.closeAll();
      await jump.start();
    }
  });

  it('authenticates through ssh-agent (SSH_AUTH_SOCK)', async () => {
    const n = cluster.nodes[0]!;
    const sock = join(work, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      await waitFor(() => spawnSync('test', ['-S', sock]).status === 0, 5000);
      const add = spawnSync('ssh-add', [cluster.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
      assert.equal(add.status, 0, add.stderr);
      const node = { name: 'agent', host: '127.0.0.1', type: 'generic' as const, ssh_port: n.port, ssh_user: n.userName };
      const noConfig = join(work, 'no-config');
      // Without the agent there is no usable key: auth fails.
      const without = new ConnectionPool({ knownHostsPath: cluster.knownHostsPath, sshConfigPath: noConfig, agentSocket: '', retries: 0 });
      await assert.rejects(without.get(node), isKind('auth_failed'));
      const withAgent = new ConnectionPool({ knownHostsPath: cluster.knownHostsPath, sshConfigPath: noConfig, agentSocket: sock, retries: 0 });
      try {
        const conn = await withAgent.get(node);
        assert.equal((await conn.exec('echo agent')).stdout.toString(), 'agent\n');
      } finally {
        await withAgent.closeAll();
      }
    } finally {
      agent.kill('SIGKILL');
    }
  });

  it('asks for the passphrase of an encrypted key, and never shows it', async () => {
    const n = cluster.nodes[0]!;
    const key = join(work, 'enc_ed25519');
    const secret = 'pa ss$(touch /tmp/never)phrase';
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', secret, '-f', key]).status, 0);
    cluster.authorize(readFileSync(`${key}.pub`, 'utf8'));
    const node = { name: 'enc', host: '127.0.0.1', type: 'generic' as const, ssh_port: n.port, ssh_user: n.userName, ssh_key_path: key };
    const asked: string[] = [];
    const logs: string[] = [];
    const p = new ConnectionPool({ knownHostsPath: cluster.knownHostsPath, sshConfigPath: join(work, 'none'), agentSocket: '', retries: 0, log: (l) => logs.push(l), passphrase: async (nodeName, keyPath) => (asked.push(`${nodeName}:${keyPath}`), secret) });
    try {
      const conn = await p.get(node);
      assert.equal((await conn.exec('echo unlocked')).stdout.toString(), 'unlocked\n');
      assert.deepEqual(asked, [`enc:${key}`]);
    } finally {
      await p.closeAll();
    }
    const wrong = new ConnectionPool({ knownHostsPath: cluster.knownHostsPath, sshConfigPath: join(work, 'none'), agentSocket: '', retries: 0, log: (l) => logs.push(l), passphrase: async () => 'not-it' });
    const err = await wrong.get(node).then(
      () => assert.fail('connected with a wrong passphrase'),
      (e: unknown) => e as ConnectionError,
    );
    assert.equal(err.kind, 'auth_failed');
    assert.match(err.message, /wrong passphrase/);
    assert.ok(!err.message.includes('not-it') && !err.message.includes(secret));
    assert.ok(!logs.join('\n').includes(secret) && !logs.join('\n').includes('not-it'));
  });

  it('a key the node does not accept fails with auth_failed naming the node and the key', async () => {
    const n = cluster.nodes[0]!;
    const key = join(work, 'stranger_ed25519');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const p = new ConnectionPool({ knownHostsPath: cluster.knownHostsPath, sshConfigPath: join(work, 'none'), agentSocket: '', retries: 3 });
    const t0 = Date.now();
    await assert.rejects(p.get({ name: 'wrongkey', host: '127.0.0.1', type: 'generic', ssh_port: n.port, ssh_user: n.userName, ssh_key_path: key }), (e: unknown) => {
      isKind('auth_failed')(e);
      assert.match((e as Error).message, /^node wrongkey: /);
      assert.ok((e as Error).message.includes(key));
      return true;
    });
    assert.ok(Date.now() - t0 < 3000, 'auth failures are not retried');
  });

  it('a dead port fails fast as unreachable', async () => {
    const port = await freePort();
    const p = new ConnectionPool({ ...cluster.poolOptions() });
    const t0 = Date.now();
    await assert.rejects(p.get({ name: 'dead', host: '127.0.0.1', type: 'generic', ssh_port: port, ssh_user: cluster.userName, ssh_key_path: cluster.clientKeyPath }), (e: unknown) => {
      isKind('unreachable')(e);
      assert.match((e as Error).message, /node dead: connection refused by 127\.0\.0\.1:\d+/);
      return true;
    });
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms with the default retries`);
  });

  it('reads, writes and stats files, with offset and length', async () => {
    const conn = await pool.get(cluster.nodeConfig(cluster.nodes[0]!));
    const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
    const f = `~/files dir ${process.pid}/bin file`;
    await conn.writeFile(f, data, { mode: 0o600 });
    assert.deepEqual(await conn.readFile(f), data);
    assert.deepEqual(await conn.readFile(f, { offset: 1000, length: 17 }), data.subarray(1000, 1017));
    assert.deepEqual(await conn.readFile(f, { offset: 2990 }), data.subarray(2990));
    const st = await conn.stat(f);
    assert.equal(st?.size, 3000);
    assert.equal(st?.mode, 0o600);
    assert.equal(st?.isDirectory, false);
    assert.equal((await conn.stat(`~/files dir ${process.pid}`))?.isDirectory, true);
    assert.equal(await conn.stat('~/does-not-exist'), null);
    await assert.rejects(conn.readFile('~/does-not-exist'), /no such file/);
    const home = await conn.resolvePath('~');
    assert.equal(await conn.resolvePath('~/a b'), `${home}/a b`);
    assert.equal(await conn.resolvePath('rel'), `${home}/rel`);
  });

  it('extractTar unpacks a tar stream on the node', async () => {
    const conn = await pool.get(cluster.nodeConfig(cluster.nodes[0]!));
    const src = mkdtempSync(join(tmpdir(), 'cl-tar-'));
    writeFileSync(join(src, 'a.txt'), 'alpha');
    writeFileSync(join(src, 'b c.txt'), 'beta');
    const tar = spawnSync('tar', ['-c', '-C', src, '.']).stdout;
    const dest = `${await conn.resolvePath('~')}/tar dest/x-${process.pid}-${Date.now()}`;
    await conn.extractTar(dest, Readable.from([tar]));
    assert.equal((await conn.readFile(`${dest}/a.txt`)).toString(), 'alpha');
    assert.equal((await conn.readFile(`${dest}/b c.txt`)).toString(), 'beta');
    await assert.rejects(conn.extractTar(dest, Readable.from([Buffer.from('not a tar')])), isKind('command_failed'));
  });

  it('a detached process survives the connection closing and records its exit code', async () => {
    const node = cluster.nodeConfig(cluster.nodes[0]!);
    const conn = await pool.get(node);
    const home = await conn.resolvePath('~');
    const runDir = `${home}/runs/r 1-${process.pid}-${Date.now()}`;
    const h = await conn.startDetached({ command: 'echo "start $MSG"; sleep 1.5; echo end; exit 5', cwd: home, env: { MSG: "it's" }, logFile: `${runDir}/out.log`, runDir });
    assert.ok(h.pid > 0 && h.pgid > 0);
    await pool.drop(node.name);
    assert.ok((conn as NodeConnection & { isClosed: boolean }).isClosed);
    const again = await pool.get(node);
    assert.notEqual(again, conn);
    // still running after the connection that started it closed
    assert.equal((await again.exec(sh`kill -0 -- -${h.pgid} && echo alive`)).stdout.toString(), 'alive\n');
    await waitFor(async () => (await again.stat(`${runDir}/exit_code`)) !== null, 5000);
    assert.equal((await again.readFile(`${runDir}/exit_code`)).toString().trim(), '5');
    assert.equal((await again.readFile(`${runDir}/out.log`)).toString(), "start it's\nend\n");
    assert.equal((await again.readFile(`${runDir}/pgid`)).toString().trim(), String(h.pgid));
    assert.match((await again.readFile(`${runDir}/started_at`)).toString(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
  });

  it('exec timeout rejects with kind timeout and the connection stays usable', async () => {
    const conn = await pool.get(cluster.nodeConfig(cluster.nodes[0]!));
    const t0 = Date.now();
    await assert.rejects(conn.exec('sleep 10', { timeoutMs: 300 }), isKind('timeout'));
    assert.ok(Date.now() - t0 < 2000);
    assert.equal((await conn.exec('echo still')).stdout.toString(), 'still\n');
  });

  it('reconnects on the next get after the node restarts', async () => {
    const n = cluster.nodes[1]!;
    const node = cluster.nodeConfig(n);
    const conn = await pool.get(node);
    const dropped = new Promise<ConnectionError>((resolve) => (conn as unknown as { onDidDisconnect(l: (e: ConnectionError) => void): void }).onDidDisconnect(resolve));
    n.kill();
    const err = await dropped;
    assert.equal(err.kind, 'disconnected');
    assert.match(err.message, /^node n2: connection to .* lost/);
    await n.start();
    const fresh = await pool.get(node);
    assert.notEqual(fresh, conn);
    assert.equal((await fresh.exec('echo back')).stdout.toString(), 'back\n');
  });
});
