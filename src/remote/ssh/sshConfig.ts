// Resolves a node (or a ProxyJump hop) through the OpenSSH client configuration. Uses `ssh -G`
// where OpenSSH's client is installed (it handles Include, Match and every default), else the
// `ssh-config` package (with Include inlined here). The config path is settable so tests never
// touch the real ~/.ssh.
//
// ProxyJump chains follow OpenSSH exactly (ssh.c turns `ProxyJump a,b` into
// `ProxyCommand ssh -J a -W %h:%p b`):
//   - the last hop of a list is the one the target is reached through; the hops before it are
//     that hop's own jump list, overriding whatever ProxyJump its config entry has;
//   - a hop reached with no list before it (the first hop) is resolved with its own config entry,
//     so its own ProxyJump is followed too (nested chains);
//   - `user@` and `:port` in a jump spec override that hop's User and Port, as `-l`/`-p` would.
// Every hop has its own HostName, User, Port, IdentityFile, HostKeyAlias and known_hosts files.
// A config that jumps around in a circle is refused with the loop spelled out.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';
import { q } from '../../core/shell';
import { applyNodeOverrides, defaultTarget, parseProxyJump, parseSshG, sshConfigMayApply, type JumpSpec, type NodeSshFields, type SshTarget } from '../../core/ssh/sshConfig';
import { ConnectionError } from '../connection';

const SSH_BIN = ['/usr/bin/ssh', '/usr/local/bin/ssh', '/bin/ssh'].find((p) => existsSync(p));

/** `ssh-G`: ask OpenSSH's client; `package`: the ssh-config npm package (no OpenSSH client). */
export type SshConfigBackend = 'ssh-G' | 'package';

export function defaultSshConfigBackend(): SshConfigBackend {
  return SSH_BIN ? 'ssh-G' : 'package';
}

/** Hops in one chain at most (OpenSSH has no limit; a longer chain is almost surely a mistake). */
export const MAX_JUMP_HOPS = 16;

export function defaultSshConfigPath(): string {
  return join(homedir(), '.ssh', 'config');
}

export function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return p;
}

// One resolution per (alias, config file, overrides, backend) while the config file is unchanged;
// concurrent asks for the same alias share one `ssh -G`.
const cache = new Map<string, { mtimeMs: number; target: Promise<SshTarget> }>();

function mtimeOf(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
}

// `ssh -G` calls asked for in the same turn of the event loop (a health check resolving every
// node at once) run as one `sh` that starts them all in parallel: one spawn from this process
// instead of one per node (each spawn blocks the event loop for several ms in a large process).
interface SshGJob {
  args: string[];
  resolve: (out: string) => void;
  reject: (e: Error) => void;
}
let queued: SshGJob[] = [];

function sshG(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    queued.push({ args, resolve, reject });
    if (queued.length === 1) setImmediate(flushSshG);
  });
}

function sshGFailed(stderr: string, fallback: string): Error {
  return new Error(`ssh -G failed: ${(stderr || fallback).trim()}`);
}

/** Counts spawns, for tests and benchmarks. */
export const sshGStats = { spawns: 0, resolutions: 0 };

function flushSshG(): void {
  const jobs = queued;
  queued = [];
  sshGStats.spawns++;
  sshGStats.resolutions += jobs.length;
  if (jobs.length === 1) {
    const job = jobs[0]!;
    execFile(SSH_BIN!, job.args, { timeout: 5000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) job.reject(sshGFailed(stderr, err.message));
      else job.resolve(stdout);
    });
    return;
  }
  // Each job writes its output, errors and exit code to its own files; then all are printed as
  // \x01 code \x02 stdout \x02 stderr (ssh -G never prints those bytes).
  const lines = ['d=$(mktemp -d) || exit 1', `trap 'rm -rf "$d"' EXIT`];
  jobs.forEach((j, i) => lines.push(`( ${[SSH_BIN!, ...j.args].map((a) => q(a)).join(' ')} >"$d/o${i}" 2>"$d/e${i}" </dev/null; echo $? >"$d/r${i}" ) &`));
  lines.push('wait');
  jobs.forEach((_, i) => lines.push(`printf '\\001%s\\002' "$(cat "$d/r${i}")"; cat "$d/o${i}"; printf '\\002'; cat "$d/e${i}"`));
  execFile('/bin/sh', ['-c', lines.join('\n')], { timeout: 10_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
    const parts = stdout.split('\x01').slice(1);
    jobs.forEach((job, i) => {
      const part = parts[i];
      if (err && part === undefined) return job.reject(sshGFailed(stderr, err.message));
      const [code, out, errText] = (part ?? '').split('\x02');
      if (code !== '0' || out === undefined) job.reject(sshGFailed(errText ?? '', `exit ${code ?? '?'}`));
      else job.resolve(out);
    });
  });
}

export interface ResolveOverrides {
  user?: string;
  port?: number;
}

/**
 * What OpenSSH would use for `alias` with this config file (ProxyJump hops are not resolved
 * here: see resolveJumpChain).
 */
export function resolveSshConfig(alias: string, configPath: string = defaultSshConfigPath(), overrides: ResolveOverrides = {}, backend: SshConfigBackend = defaultSshConfigBackend()): Promise<SshTarget> {
  const key = JSON.stringify([alias, configPath, overrides.user ?? '', overrides.port ?? 0, backend]);
  const mtimeMs = mtimeOf(configPath);
  const hit = cache.get(key);
  if (hit && hit.mtimeMs === mtimeMs) return hit.target;
  const target = compute(alias, configPath, mtimeMs >= 0, overrides, backend);
  cache.set(key, { mtimeMs, target });
  target.catch(() => {
    if (cache.get(key)?.target === target) cache.delete(key);
  });
  return target;
}

// The config file's text with Includes inlined, read once per (path, mtime) for all the aliases
// resolved against it. An unreadable file reads as one Match line: "may apply", so ssh -G (or
// the package) decides and reports the problem as before.
let textCache: { path: string; mtimeMs: number; text: string } | undefined;
function configText(path: string): string {
  const mtimeMs = mtimeOf(path);
  if (textCache?.path === path && textCache.mtimeMs === mtimeMs) return textCache.text;
  let text: string;
  try {
    text = inlineIncludes(readFileSync(path, 'utf8'));
  } catch {
    text = 'Match all';
  }
  textCache = { path, mtimeMs, text };
  return text;
}

async function compute(alias: string, configPath: string, exists: boolean, overrides: ResolveOverrides, backend: SshConfigBackend): Promise<SshTarget> {
  let target: SshTarget;
  if (!exists || !sshConfigMayApply(configText(configPath), alias)) {
    // `ssh -G -F /dev/null` gives exactly this (OpenSSH lower-cases host names; its default key
    // list is tried by connect.ts anyway), and so does a config none of whose lines applies to
    // this host: no process to spawn (a cold `clusterlab health` of 10 nodes spawned 10).
    target = defaultTarget(alias);
  } else if (backend === 'ssh-G' && SSH_BIN) {
    const args = ['-G', '-F', configPath];
    if (overrides.user) args.push('-l', overrides.user);
    if (overrides.port) args.push('-p', String(overrides.port));
    args.push('--', alias);
    target = parseSshG(alias, await sshG(args));
  } else {
    target = computeWithPackage(alias, configPath);
  }
  if (overrides.user) target.user = overrides.user;
  if (overrides.port) target.port = overrides.port;
  if (!target.user) target.user = userInfo().username;
  return target;
}

/**
 * The config text with every `Include` replaced by the files it names (globs, `~`, paths
 * relative to ~/.ssh as OpenSSH does), to a depth of 16 like OpenSSH's READCONF_MAX_DEPTH.
 */
export function inlineIncludes(text: string, depth = 0): string {
  if (depth > 16) throw new Error('Include nested more than 16 deep');
  return text
    .split(/\r?\n/)
    .map((line) => {
      const m = /^\s*include(?:\s*=\s*|\s+)(.+?)\s*$/i.exec(line);
      if (!m) return line;
      const parts = m[1]!.match(/"[^"]*"|\S+/g) ?? [];
      const out: string[] = [];
      for (const raw of parts) {
        const p0 = expandHome(raw.replace(/^"|"$/g, ''));
        const p = isAbsolute(p0) ? p0 : join(homedir(), '.ssh', p0);
        for (const f of globFiles(p)) {
          try {
            out.push(inlineIncludes(readFileSync(f, 'utf8'), depth + 1));
          } catch (e) {
            if (e instanceof Error && /nested/.test(e.message)) throw e;
            // unreadable include: OpenSSH skips it too
          }
        }
      }
      return out.join('\n');
    })
    .join('\n');
}

function globFiles(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return existsSync(pattern) ? [pattern] : [];
  const dir = dirname(pattern);
  const base = pattern.slice(dir.length + 1);
  const re = new RegExp(`^${base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  try {
    return readdirSync(dir)
      .filter((f) => re.test(f))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

function computeWithPackage(alias: string, file: string): SshTarget {
  const text = inlineIncludes(readFileSync(file, 'utf8'));
  const cfg = SSHConfig.parse(text).compute(alias, { ignoreCase: true });
  const get = (k: string): string | undefined => {
    const v = cfg[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const list = (k: string): string[] => {
    const v = cfg[k];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  const hostKeyAlias = get('hostkeyalias');
  return {
    alias,
    hostname: (get('hostname') ?? alias).replace(/%h/g, alias).replace(/%%/g, '%').toLowerCase(),
    port: Number(get('port') ?? 22) || 22,
    user: get('user') ?? '',
    identityFiles: list('identityfile'),
    proxyJump: parseProxyJump(get('proxyjump') ?? ''),
    ...(hostKeyAlias && hostKeyAlias.toLowerCase() !== 'none' ? { hostKeyAlias } : {}),
    userKnownHostsFiles: list('userknownhostsfile').flatMap((v) => v.split(/\s+/)).filter(Boolean),
    identitiesOnly: (get('identitiesonly') ?? 'no').toLowerCase() === 'yes',
  };
}

/** The target for a node: its `host` looked up in the ssh config, explicit fields on top. */
export async function resolveNodeTarget(node: NodeSshFields & { name: string }, configPath?: string, backend?: SshConfigBackend): Promise<SshTarget> {
  const alias = node.host ?? node.name;
  const t = await resolveSshConfig(alias, configPath, {}, backend);
  return applyNodeOverrides(t, node);
}

/** How a hop is written in messages and loop reports: `user@alias:port`. */
export function hopName(t: SshTarget): string {
  return `${t.user ? `${t.user}@` : ''}${t.alias}${t.port !== 22 ? `:${t.port}` : ''}`;
}

/**
 * The jump hosts in front of `target`, outermost (the one we open a TCP connection to) first,
 * as OpenSSH would chain them (see the top of this file). `resolveHop` resolves one jump spec
 * (default: resolveSshConfig with this config file).
 */
export async function resolveJumpChain(
  node: string,
  target: SshTarget,
  opts: { configPath?: string; backend?: SshConfigBackend; resolveHop?: (spec: JumpSpec) => Promise<SshTarget> } = {},
): Promise<SshTarget[]> {
  const configPath = opts.configPath ?? defaultSshConfigPath();
  const resolveHop =
    opts.resolveHop ?? ((spec: JumpSpec) => resolveSshConfig(spec.host, configPath, { ...(spec.user ? { user: spec.user } : {}), ...(spec.port ? { port: spec.port } : {}) }, opts.backend));
  const identity = (t: SshTarget) => `${t.alias}\u0000${t.user}\u0000${t.port}`;
  // Hosts whose own config ProxyJump was followed, in order: seeing one again is a loop.
  const followed: SshTarget[] = [target];
  const chain: SshTarget[] = [];
  let cur = target;
  for (;;) {
    const jumps = cur.proxyJump;
    if (!jumps.length) break;
    const spec = jumps[jumps.length - 1]!;
    const extras = jumps.slice(0, -1);
    let hop: SshTarget;
    try {
      hop = await resolveHop(spec);
    } catch (e) {
      throw new ConnectionError(
        'unreachable',
        node,
        `cannot resolve jump host ${spec.host} through the ssh configuration (${configPath}): ${e instanceof Error ? e.message : String(e)}`,
        'Check the ProxyJump entries and the Host blocks they name',
      );
    }
    if (extras.length) {
      // OpenSSH passes the earlier hops as `-J`, which overrides the hop's own ProxyJump.
      hop = { ...hop, proxyJump: extras };
    } else if (hop.proxyJump.length) {
      const seen = followed.findIndex((f) => identity(f) === identity(hop));
      if (seen >= 0) {
        const path = [...followed.slice(seen), hop].map(hopName).join(' -> ');
        throw new ConnectionError('unreachable', node, `ProxyJump loop in ${configPath}: ${path}`, 'Remove the ProxyJump that points back to an earlier host (ProxyJump none ends a chain)');
      }
      followed.push(hop);
    }
    chain.unshift(hop);
    if (chain.length > MAX_JUMP_HOPS) {
      throw new ConnectionError('unreachable', node, `ProxyJump chain longer than ${MAX_JUMP_HOPS} hops (${chain.map(hopName).join(' -> ')} -> ${hopName(target)})`, 'Check the ProxyJump entries in your ssh config for a loop');
    }
    cur = hop;
  }
  return chain;
}
