// Resolves a node (or a ProxyJump hop) through the OpenSSH client configuration. Uses `ssh -G`
// where OpenSSH's client is installed (it handles Include, Match and every default), else the
// `ssh-config` package. The config path is settable so tests never touch the real ~/.ssh.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';
import { applyNodeOverrides, parseProxyJump, parseSshG, type NodeSshFields, type SshTarget } from '../../core/ssh/sshConfig';

const SSH_BIN = ['/usr/bin/ssh', '/usr/local/bin/ssh', '/bin/ssh'].find((p) => existsSync(p));

export function defaultSshConfigPath(): string {
  return join(homedir(), '.ssh', 'config');
}

export function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return p;
}

const cache = new Map<string, { mtimeMs: number; target: SshTarget }>();

function mtimeOf(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
}

function sshG(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(SSH_BIN!, args, { timeout: 5000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ssh -G failed: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

/**
 * What OpenSSH would use for `alias` with this config file (ProxyJump hops are not resolved
 * here: resolve each hop's alias with this same function).
 */
export async function resolveSshConfig(alias: string, configPath: string = defaultSshConfigPath(), overrides: { user?: string; port?: number } = {}): Promise<SshTarget> {
  const key = JSON.stringify([alias, configPath, overrides]);
  const mtimeMs = mtimeOf(configPath);
  const hit = cache.get(key);
  if (hit && hit.mtimeMs === mtimeMs) return hit.target;
  let target: SshTarget;
  const file = existsSync(configPath) ? configPath : '/dev/null';
  if (SSH_BIN) {
    const args = ['-G', '-F', file];
    if (overrides.user) args.push('-l', overrides.user);
    if (overrides.port) args.push('-p', String(overrides.port));
    args.push('--', alias);
    target = parseSshG(alias, await sshG(args));
  } else {
    target = computeWithPackage(alias, file);
    if (overrides.user) target.user = overrides.user;
    if (overrides.port) target.port = overrides.port;
  }
  if (!target.user) target.user = userInfo().username;
  cache.set(key, { mtimeMs, target });
  return target;
}

function computeWithPackage(alias: string, file: string): SshTarget {
  const text = file === '/dev/null' ? '' : readFileSync(file, 'utf8');
  const cfg = SSHConfig.parse(text).compute(alias);
  const get = (k: string): string | undefined => {
    const v = cfg[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const list = (k: string): string[] => {
    const v = cfg[k];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  const hostKeyAlias = get('HostKeyAlias');
  return {
    alias,
    hostname: (get('HostName') ?? alias).replace(/%h/g, alias),
    port: Number(get('Port') ?? 22) || 22,
    user: get('User') ?? '',
    identityFiles: list('IdentityFile'),
    proxyJump: parseProxyJump(get('ProxyJump') ?? ''),
    ...(hostKeyAlias ? { hostKeyAlias } : {}),
    userKnownHostsFiles: list('UserKnownHostsFile').flatMap((v) => v.split(/\s+/)),
    identitiesOnly: (get('IdentitiesOnly') ?? 'no').toLowerCase() === 'yes',
  };
}

/** The target for a node: its `host` looked up in the ssh config, explicit fields on top. */
export async function resolveNodeTarget(node: NodeSshFields & { name: string }, configPath?: string): Promise<SshTarget> {
  const alias = node.host ?? node.name;
  const t = await resolveSshConfig(alias, configPath, {});
  return applyNodeOverrides(t, node);
}
