// ProxyJump chain resolution: OpenSSH's rules (a list overrides the hop's own ProxyJump, the
// first hop's own ProxyJump is followed), loops, and the same chain from `ssh -G` and from the
// ssh-config package fallback.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SshTarget } from '../../src/core/ssh/sshConfig';
import { ConnectionError } from '../../src/remote/connection';
import { resolveJumpChain, resolveNodeTarget, resolveSshConfig, sshGStats, type SshConfigBackend } from '../../src/remote/ssh/sshConfig';

const HAS_SSH = existsSync('/usr/bin/ssh');

function setup(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cl-jumpchain-'));
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(
    join(dir, 'conf.d', 'lab.conf'),
    [
      'Host bastion',
      '  HostName Bastion.Example.org',
      '  User gate',
      '  Port 2022',
      `  IdentityFile ${dir}/id_bastion`,
      '  HostKeyAlias bastion-key',
      '',
      'Host inner',
      '  HostName 10.0.0.2',
      '  ProxyJump bastion',
      `  IdentityFile ${dir}/id_inner`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'config'),
    [
      `Include ${dir}/conf.d/*.conf`,
      '',
      'Host jetson',
      '  HostName 10.0.1.7',
      '  User nvidia',
      '  ProxyJump inner',
      '',
      'Host pi-*',
      '  HostName %h.lab',
      '  ProxyJump ops@bastion:2200,inner',
      '',
      'Host loop-a',
      '  ProxyJump loop-b',
      'Host loop-b',
      '  ProxyJump loop-a',
      'Host to-loop',
      '  ProxyJump loop-a',
      '',
      'Host *',
      '  User researcher',
      `  IdentityFile ${dir}/id_default`,
      '',
    ].join('\n'),
  );
  return join(dir, 'config');
}

const shape = (t: SshTarget) => ({ alias: t.alias, hostname: t.hostname, port: t.port, user: t.user, identityFiles: t.identityFiles, hostKeyAlias: t.hostKeyAlias, proxyJump: t.proxyJump });

async function chainOf(host: string, cfg: string, backend: SshConfigBackend) {
  const target = await resolveNodeTarget({ name: host, host }, cfg, backend);
  const chain = await resolveJumpChain(host, target, { configPath: cfg, backend });
  return { target: shape(target), chain: chain.map(shape) };
}

describe('ProxyJump chain resolution', () => {
  const cfg = setup();

  for (const backend of ['package', ...(HAS_SSH ? ['ssh-G'] : [])] as SshConfigBackend[]) {
    it(`nested chain, each hop with its own user/port/key/host key alias (${backend})`, async () => {
      const { target, chain } = await chainOf('jetson', cfg, backend);
      assert.equal(target.hostname, '10.0.1.7');
      assert.equal(target.user, 'nvidia');
      assert.deepEqual(
        chain.map((h) => [h.alias, h.hostname, h.port, h.user]),
        [
          ['bastion', 'bastion.example.org', 2022, 'gate'],
          ['inner', '10.0.0.2', 22, 'researcher'],
        ],
      );
      assert.equal(chain[0]!.hostKeyAlias, 'bastion-key');
      assert.ok(chain[0]!.identityFiles[0]!.endsWith('/id_bastion'));
      assert.ok(chain[1]!.identityFiles[0]!.endsWith('/id_inner'));
    });

    it(`comma list overrides the last hop's own ProxyJump; user@ and :port override the entry (${backend})`, async () => {
      const { target, chain } = await chainOf('pi-3', cfg, backend);
      assert.equal(target.hostname, 'pi-3.lab');
      // `ops@bastion:2200,inner`: inner is reached through bastion (its own ProxyJump bastion is
      // replaced by the list, which happens to name bastion too, but as ops on port 2200).
      assert.deepEqual(
        chain.map((h) => [h.alias, h.port, h.user]),
        [
          ['bastion', 2200, 'ops'],
          ['inner', 22, 'researcher'],
        ],
      );
    });

    it(`refuses a loop and names it (${backend})`, async () => {
      await assert.rejects(chainOf('to-loop', cfg, backend), (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.match(e.message, /ProxyJump loop in .*: researcher@loop-a -> researcher@loop-b -> researcher@loop-a/);
        return true;
      });
    });
  }

  it('ssh -G and the ssh-config package give the same chains', { skip: !HAS_SSH && 'no OpenSSH client here' }, async () => {
    for (const host of ['jetson', 'pi-3', 'inner', 'bastion', 'plain.example']) {
      assert.deepEqual(await chainOf(host, cfg, 'package'), await chainOf(host, cfg, 'ssh-G'), host);
    }
  });

  it('resolves many hosts asked at once with one spawn, each as a lone `ssh -G` would', { skip: !HAS_SSH && 'no OpenSSH client here' }, async () => {
    const hosts = ['jetson', 'pi-1', 'pi-2', 'inner', 'bastion', 'x.example', 'Upper.Example'];
    const before = { ...sshGStats };
    const together = await Promise.all(hosts.map((h) => resolveSshConfig(h, cfg, { user: `u-${h}` }, 'ssh-G')));
    assert.equal(sshGStats.spawns - before.spawns, 1);
    assert.equal(sshGStats.resolutions - before.resolutions, hosts.length);
    for (const [i, h] of hosts.entries()) {
      const alone = await resolveSshConfig(h, cfg, { user: `u-${h}`, port: 22 }, 'ssh-G'); // another cache key: a spawn of its own
      assert.deepEqual({ ...together[i], port: 22 }, alone, h);
      assert.equal(together[i]!.user, `u-${h}`);
    }
    // a host name ssh refuses fails alone, the others still resolve
    const mixed = await Promise.allSettled([resolveSshConfig('bad host', cfg, {}, 'ssh-G'), resolveSshConfig('pi-9', cfg, {}, 'ssh-G')]);
    assert.equal(mixed[0].status, 'rejected');
    assert.match(String((mixed[0] as PromiseRejectedResult).reason), /ssh -G failed/);
    assert.equal(mixed[1].status, 'fulfilled');
  });
});
