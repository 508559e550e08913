// ProxyJump chains against real sshd nodes in a chain of network namespaces: n1 is reachable from
// here, n2 only from n1's namespace, n3 only from n2's. So n3 answers only through n1 then n2.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConnectionError } from '../../src/remote/connection';
import { ConnectionPool } from '../../src/remote/pool';
import { resolveJumpChain, resolveNodeTarget } from '../../src/remote/ssh/sshConfig';
import { startSshNodes, type SshCluster, type SshTestNode } from '../harness/sshNodes';

describe('ProxyJump chains through real sshd hops', () => {
  let cluster: SshCluster;
  let n1: SshTestNode, n2: SshTestNode, n3: SshTestNode;
  const work = mkdtempSync(join(tmpdir(), 'cl-jump-'));

  before(async () => {
    cluster = await startSshNodes({ count: 3, namespaces: true, chain: true });
    [n1, n2, n3] = cluster.nodes as [SshTestNode, SshTestNode, SshTestNode];
  });
  after(async () => {
    await cluster?.stop();
  });

  const hostBlock = (alias: string, n: SshTestNode, extra = '', port = n.port) =>
    `Host ${alias}\n  HostName ${n.host}\n  Port ${port}\n  User ${cluster.userName}\n  IdentityFile ${cluster.clientKeyPath}\n  IdentitiesOnly yes\n${extra}`;
  const writeConfig = (name: string, text: string) => {
    const p = join(work, name);
    writeFileSync(p, text);
    return p;
  };
  const pool = (sshConfigPath: string) => new ConnectionPool({ knownHostsPath: cluster.knownHostsPath, sshConfigPath, agentSocket: '', retries: 0, connectTimeoutMs: 3000 });

  it('the last node is not reachable directly (the test topology holds)', async () => {
    const p = pool(writeConfig('direct', hostBlock('t', n3)));
    try {
      await assert.rejects(p.get({ name: 't', host: 't', type: 'generic' }), (e: unknown) => e instanceof ConnectionError && e.kind !== 'auth_failed');
    } finally {
      await p.closeAll();
    }
  });

  it('follows a comma list: ProxyJump n1,n2 reaches n3 through n1 then n2', async () => {
    const cfg = writeConfig('list', [hostBlock('j1', n1), hostBlock('j2', n2), hostBlock('t', n3, '  ProxyJump j1,j2\n')].join('\n'));
    const p = pool(cfg);
    try {
      const conn = await p.get({ name: 't', host: 't', type: 'generic' });
      const r = await conn.exec('echo "$SSH_CONNECTION"');
      const [clientAddr, , serverAddr] = r.stdout.toString().trim().split(' ');
      assert.equal(serverAddr, n3.sshdHost);
      // The connection to n3 comes from n2's side of the n2-n3 link: it was forwarded by n2's sshd.
      assert.equal(clientAddr, n3.sshdHost.replace(/\d+$/, (d) => String(Number(d) - 1)));
    } finally {
      await p.closeAll();
    }
  });

  it('follows nested chains: n3 jumps via n2, whose own entry jumps via n1', async () => {
    const cfg = writeConfig('nested', [hostBlock('j1', n1), hostBlock('j2', n2, '  ProxyJump j1\n'), hostBlock('t', n3, '  ProxyJump j2\n')].join('\n'));
    const chain = await resolveJumpChain('t', await resolveNodeTarget({ name: 't', host: 't' }, cfg), { configPath: cfg });
    assert.deepEqual(
      chain.map((h) => h.alias),
      ['j1', 'j2'],
    );
    const p = pool(cfg);
    try {
      const conn = await p.get({ name: 't', host: 't', type: 'generic' });
      assert.equal((await conn.exec('id -un')).stdout.toString().trim(), cluster.userName);
    } finally {
      await p.closeAll();
    }
  });

  it('a jump list overrides the hop’s own ProxyJump, as `ssh -J` does', async () => {
    // j2's own entry points at a dead jump host; the list j1,j2 must win over it.
    const cfg = writeConfig('override', [hostBlock('j1', n1), hostBlock('dead', n1, '', 1), hostBlock('j2', n2, '  ProxyJump dead\n'), hostBlock('t', n3, '  ProxyJump j1,j2\n')].join('\n'));
    const p = pool(cfg);
    try {
      const conn = await p.get({ name: 't', host: 't', type: 'generic' });
      assert.equal((await conn.exec('echo ok')).stdout.toString(), 'ok\n');
    } finally {
      await p.closeAll();
    }
  });

  it('names the hop that failed: a wrong host key on the second hop', async () => {
    const badKnown = join(work, 'known_hosts_bad');
    // n2's line carries n1's key: the second hop presents a changed key.
    writeFileSync(badKnown, [n1.knownHostsLine, `${n2.knownHostsLine.split(' ')[0]} ${n1.hostPublicKey}`, n3.knownHostsLine].join('\n') + '\n');
    const cfg = writeConfig('badkey', [hostBlock('j1', n1), hostBlock('j2', n2), hostBlock('t', n3, '  ProxyJump j1,j2\n')].join('\n'));
    const p = new ConnectionPool({ knownHostsPath: badKnown, sshConfigPath: cfg, agentSocket: '', retries: 0, connectTimeoutMs: 3000 });
    try {
      await assert.rejects(p.get({ name: 't', host: 't', type: 'generic' }), (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.equal(e.kind, 'host_key_changed', e.message);
        assert.match(e.message, /jump host cltest@j2 \(hop 2 of 3\)/);
        assert.match(e.message, /known_hosts line 2/);
        return true;
      });
    } finally {
      await p.closeAll();
    }
  });

  it('names the hop that failed: the first hop refuses the connection', async () => {
    const cfg = writeConfig('deadfirst', [hostBlock('j1', n1, '', 1), hostBlock('j2', n2), hostBlock('t', n3, '  ProxyJump j1,j2\n')].join('\n'));
    const p = pool(cfg);
    try {
      await assert.rejects(p.get({ name: 't', host: 't', type: 'generic' }), (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.equal(e.kind, 'unreachable');
        assert.match(e.message, /jump host cltest@j1:1 \(hop 1 of 3\): connection refused/);
        return true;
      });
    } finally {
      await p.closeAll();
    }
  });

  it('refuses a ProxyJump loop, naming it', async () => {
    const cfg = writeConfig('loop', [hostBlock('j1', n1, '  ProxyJump j2\n'), hostBlock('j2', n2, '  ProxyJump j1\n'), hostBlock('t', n3, '  ProxyJump j2\n')].join('\n'));
    const p = pool(cfg);
    try {
      await assert.rejects(p.get({ name: 't', host: 't', type: 'generic' }), (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.match(e.message, /ProxyJump loop in .*: cltest@j2 -> cltest@j1 -> cltest@j2/);
        return true;
      });
    } finally {
      await p.closeAll();
    }
  });
});
