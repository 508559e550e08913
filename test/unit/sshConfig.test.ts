// ssh config resolution: the pure `ssh -G` parser and ProxyJump specs, and the real `ssh -G`
// with Host aliases, Include and node overrides (a private config file, never ~/.ssh).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { applyNodeOverrides, defaultTarget, describeTarget, parseProxyJump, parseSshG, sshConfigMayApply } from '../../src/core/ssh/sshConfig';
import { resolveNodeTarget, resolveSshConfig, sshGStats } from '../../src/remote/ssh/sshConfig';

describe('ssh config', () => {
  it('parses ProxyJump specs', () => {
    assert.deepEqual(parseProxyJump('none'), []);
    assert.deepEqual(parseProxyJump('j1'), [{ host: 'j1' }]);
    assert.deepEqual(parseProxyJump('u@j1:2200,ssh://v@j2:22,[::1]:23'), [
      { host: 'j1', user: 'u', port: 2200 },
      { host: 'j2', user: 'v', port: 22 },
      { host: '::1', port: 23 },
    ]);
  });

  it('parses ssh -G output', () => {
    const t = parseSshG('pi', 'user bob\nhostname 10.0.0.5\nport 2222\nidentityfile ~/.ssh/a\nidentityfile ~/.ssh/b\nproxyjump j1,j2\nhostkeyalias none\nuserknownhostsfile ~/.ssh/known_hosts ~/.ssh/known_hosts2\nidentitiesonly yes\n');
    assert.equal(t.hostname, '10.0.0.5');
    assert.equal(t.port, 2222);
    assert.equal(t.user, 'bob');
    assert.deepEqual(t.identityFiles, ['~/.ssh/a', '~/.ssh/b']);
    assert.deepEqual(t.proxyJump, [{ host: 'j1' }, { host: 'j2' }]);
    assert.equal(t.hostKeyAlias, undefined);
    assert.deepEqual(t.userKnownHostsFiles, ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']);
    assert.equal(t.identitiesOnly, true);
    assert.equal(describeTarget(t), 'bob@10.0.0.5:2222 via j1,j2');
  });

  it('node fields override the config', () => {
    const t = parseSshG('pi', 'user bob\nhostname h\nport 22\nidentityfile ~/.ssh/a\n');
    const o = applyNodeOverrides(t, { ssh_user: 'alice', ssh_port: 2200, ssh_key_path: '/k' });
    assert.equal(o.user, 'alice');
    assert.equal(o.port, 2200);
    assert.deepEqual(o.identityFiles, ['/k', '~/.ssh/a']);
  });

  it('resolves aliases through the real ssh -G, with Include and wildcard defaults', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cl-sshcfg-'));
    writeFileSync(join(dir, 'pis.conf'), 'Host rpi1\n  HostName 10.1.2.3\n  Port 2201\n  ProxyJump gw\n');
    writeFileSync(join(dir, 'config'), `Include ${dir}/pis.conf\n\nHost gw\n  HostName 10.9.9.9\n  User jumper\n\nHost *\n  User researcher\n  IdentityFile ${dir}/id_test\n`);
    const t = await resolveSshConfig('rpi1', join(dir, 'config'));
    assert.equal(t.hostname, '10.1.2.3');
    assert.equal(t.port, 2201);
    assert.equal(t.user, 'researcher');
    assert.ok(t.identityFiles.includes(`${dir}/id_test`));
    assert.deepEqual(t.proxyJump, [{ host: 'gw' }]);
    const gw = await resolveSshConfig('gw', join(dir, 'config'));
    assert.equal(gw.user, 'jumper');
    const node = await resolveNodeTarget({ name: 'rpi1', host: 'rpi1', ssh_user: 'me', ssh_port: 22 }, join(dir, 'config'));
    assert.equal(node.user, 'me');
    assert.equal(node.port, 22);
    assert.equal(node.hostname, '10.1.2.3');
    // a host that is no alias resolves to itself; a missing config file is no error
    const plain = await resolveSshConfig('192.0.2.1', join(dir, 'missing'));
    assert.equal(plain.hostname, '192.0.2.1');
    assert.equal(plain.port, 22);
  });

  it('tells whether a config can apply to a host at all (when not, no ssh -G is needed)', () => {
    const no = (text: string, alias = 'n1') => assert.equal(sshConfigMayApply(text, alias), false, `${JSON.stringify(text)} for ${alias}`);
    const yes = (text: string, alias = 'n1') => assert.equal(sshConfigMayApply(text, alias), true, `${JSON.stringify(text)} for ${alias}`);
    no('');
    no('# only a comment\n\n   # and another\n');
    no('Host rpi1\n  HostName 10.0.0.1\nHost gw jump?\n  User x\n');
    no('Host=n10\n  Port 2200\n');
    no('Host n1x n1.* *.lan\n  User x\n');
    yes('Host *\n  ServerAliveInterval 30\n');
    yes('Host n?\n  User x\n');
    yes('Host other N1\n  User x\n');
    yes('Host a,n1\n  User x\n');
    yes('Host "n1"\n  User x\n');
    yes('Host * !n1\n  User x\n'); // negations are not subtracted: when in doubt, ask ssh -G
    yes('User everyone\nHost rpi1\n  Port 1\n'); // a setting before the first Host applies to all
    yes('Host rpi1\n  Port 1\nMatch user bob\n  Port 2\n');
    yes('Include /somewhere/else\n');
    yes('Host 10.0.*\n  User x\n', '10.0.3.4');
    no('Host 10.0.*\n  User x\n', '10.1.3.4');
  });

  it('a config that does not apply gives exactly what the real ssh -G gives, and spawns nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cl-sshcfg-skip-'));
    const cfg = join(dir, 'config');
    writeFileSync(cfg, '# cluster hosts\nHost rpi1 rpi2\n  HostName 10.1.2.3\n  User pi\n  Port 2201\n  ProxyJump gw\n\nHost gw\n  HostName 10.9.9.9\n');
    const defaults = ['~/.ssh/id_rsa', '~/.ssh/id_ecdsa', '~/.ssh/id_ecdsa_sk', '~/.ssh/id_ed25519', '~/.ssh/id_ed25519_sk', '~/.ssh/id_xmss', '~/.ssh/id_dsa'];
    for (const alias of ['192.0.2.7', 'Build-Box', 'rpi10']) {
      assert.equal(sshConfigMayApply('# cluster hosts\nHost rpi1 rpi2\n  HostName 10.1.2.3\nHost gw\n', alias), false);
      const g = parseSshG(alias, execFileSync('ssh', ['-G', '-F', cfg, '--', alias], { encoding: 'utf8' }));
      const d = defaultTarget(alias);
      assert.deepEqual({ ...g, identityFiles: [], userKnownHostsFiles: [], user: '' }, d, alias);
      assert.equal(g.user, userInfo().username);
      assert.deepEqual(g.identityFiles, defaults, 'ssh -G lists only its default keys, which connect.ts tries anyway');
      const before = sshGStats.spawns;
      const t = await resolveSshConfig(alias, cfg);
      assert.equal(sshGStats.spawns, before, `no ssh -G for ${alias}`);
      assert.deepEqual(t, { ...d, user: userInfo().username });
    }
    const before = sshGStats.spawns;
    const t = await resolveSshConfig('rpi2', cfg);
    assert.equal(sshGStats.spawns, before + 1, 'an alias the config names still goes through ssh -G');
    assert.equal(t.hostname, '10.1.2.3');
    assert.equal(t.port, 2201);
  });
});
