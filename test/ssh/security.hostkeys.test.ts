// Host key checking against real sshd: unknown keys need consent, changed and revoked keys are
// refused naming the known_hosts file and line, hashed entries work.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConnectionError } from '../../src/remote/connection';
import { ConnectionPool, type ConnectionPoolOptions } from '../../src/remote/pool';
import { startSshNodes, type SshCluster, type SshTestNode } from '../harness/sshNodes';

describe('host keys against real sshd', () => {
  let cluster: SshCluster;
  let n: SshTestNode;
  const work = mkdtempSync(join(tmpdir(), 'cl-hk-'));
  before(async () => {
    cluster = await startSshNodes({ count: 1 });
    n = cluster.nodes[0]!;
  });
  after(() => cluster?.stop());

  const connect = async (knownHostsPath: string, extra: Partial<ConnectionPoolOptions> = {}) => {
    const pool = new ConnectionPool({ knownHostsPath, sshConfigPath: join(work, 'none'), agentSocket: '', retries: 2, ...extra });
    try {
      const conn = await pool.get(cluster.nodeConfig(n));
      return (await conn.exec('echo ok')).stdout.toString();
    } finally {
      await pool.closeAll();
    }
  };
  const fingerprint = () => spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${n.hostKeyPath}.pub`], { encoding: 'utf8' }).stdout.split(/\s+/)[1];

  it('connects when known_hosts has the key ([host]:port form)', async () => {
    assert.equal(await connect(cluster.knownHostsPath), 'ok\n');
  });

  it('refuses an unknown host key without consent, and does not retry', async () => {
    const kh = join(work, 'empty_known_hosts');
    writeFileSync(kh, '# nothing yet\n');
    const t0 = Date.now();
    await assert.rejects(connect(kh), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.equal(e.kind, 'host_key_unknown');
      assert.ok(e.message.startsWith('node n1: '), e.message);
      assert.ok(e.message.includes(fingerprint()!), e.message);
      assert.match(e.message, /--accept-new-host-keys/);
      return true;
    });
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(readFileSync(kh, 'utf8'), '# nothing yet\n', 'nothing written without consent');
  });

  it('refuses an unknown key the user declines', async () => {
    const kh = join(work, 'declined');
    writeFileSync(kh, '');
    await assert.rejects(connect(kh, { confirmHostKey: async () => false }), (e: unknown) => e instanceof ConnectionError && e.kind === 'host_key_unknown');
    assert.equal(readFileSync(kh, 'utf8'), '');
  });

  it('accepts an unknown key with consent, shows the SHA256 fingerprint and writes it to known_hosts', async () => {
    const kh = join(work, 'accept', 'known_hosts');
    const asked: Array<[string, string, string, string]> = [];
    assert.equal(await connect(kh, { confirmHostKey: async (node, host, fp, type) => (asked.push([node, host, fp, type]), true) }), 'ok\n');
    assert.deepEqual(asked, [['n1', `[127.0.0.1]:${n.port}`, fingerprint(), 'ssh-ed25519']]);
    assert.equal(readFileSync(kh, 'utf8'), `${n.knownHostsLine}\n`);
    // OpenSSH agrees with what we wrote
    const check = spawnSync('ssh-keygen', ['-F', `[127.0.0.1]:${n.port}`, '-f', kh], { encoding: 'utf8' });
    assert.equal(check.status, 0);
    // and the next connection needs no consent
    assert.equal(await connect(kh), 'ok\n');
  });

  it('refuses a changed host key, naming the known_hosts file and line, even with consent', async () => {
    const other = join(work, 'other_host_key');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const otherKey = readFileSync(`${other}.pub`, 'utf8').split(/\s+/).slice(0, 2).join(' ');
    const kh = join(work, 'changed');
    writeFileSync(kh, `# comment line\nexample.org ${otherKey}\n[127.0.0.1]:${n.port} ${otherKey}\n`);
    let asked = false;
    await assert.rejects(
      connect(kh, {
        confirmHostKey: async () => {
          asked = true;
          return true;
        },
      }),
      (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.equal(e.kind, 'host_key_changed');
        assert.ok(e.message.includes(`host key changed (known_hosts line 3: ${kh})`), e.message);
        assert.ok(e.message.includes(`ssh-keygen -f '${kh}' -R '[127.0.0.1]:${n.port}'`), e.message);
        return true;
      },
    );
    assert.equal(asked, false, 'a changed key is never offered for acceptance');
  });

  it('accepts a hashed known_hosts entry (ssh-keygen -H) and several keys per host', async () => {
    const other = join(work, 'second_key');
    spawnSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', other]);
    const otherKey = readFileSync(`${other}.pub`, 'utf8').split(/\s+/).slice(0, 2).join(' ');
    const kh = join(work, 'hashed');
    writeFileSync(kh, `[127.0.0.1]:${n.port} ${otherKey}\n${n.knownHostsLine}\n`);
    assert.equal(spawnSync('ssh-keygen', ['-H', '-f', kh]).status, 0);
    const text = readFileSync(kh, 'utf8');
    assert.ok(!text.includes('127.0.0.1') && text.includes('|1|'), 'entries are hashed');
    assert.equal(await connect(kh), 'ok\n');
  });

  it('refuses a key marked @revoked', async () => {
    const kh = join(work, 'revoked');
    writeFileSync(kh, `${n.knownHostsLine}\n@revoked * ${n.hostPublicKey}\n`);
    await assert.rejects(connect(kh), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.equal(e.kind, 'host_key_changed');
      assert.match(e.message, /@revoked \(known_hosts line 2/);
      return true;
    });
  });
});
