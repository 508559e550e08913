// Pure helpers for OpenSSH client configuration: parse `ssh -G` output, ProxyJump specs, and
// merge a node's explicit fields over what the ssh config says. The file reading and the `ssh -G`
// call live in src/remote/ssh/sshConfig.ts.

export interface SshTarget {
  /** The name the user gave (node.host or a jump spec), used for Host matching. */
  alias: string;
  /** Address to connect to (HostName). */
  hostname: string;
  port: number;
  user: string;
  /** IdentityFile entries, in order, `~` not yet expanded. */
  identityFiles: string[];
  /** ProxyJump hops, outermost first; empty for a direct connection. */
  proxyJump: JumpSpec[];
  /** HostKeyAlias, when set: the name looked up in known_hosts instead of [host]:port. */
  hostKeyAlias?: string;
  /** UserKnownHostsFile entries (only when the ssh config sets them). */
  userKnownHostsFiles: string[];
  /** IdentitiesOnly yes: skip agent keys not listed (we still try the agent last). */
  identitiesOnly: boolean;
}

export interface JumpSpec {
  user?: string;
  host: string;
  port?: number;
}

/** Parse one ProxyJump list `[user@]host[:port][,…]`, also `ssh://user@host:port`. `none` → []. */
export function parseProxyJump(value: string): JumpSpec[] {
  const v = value.trim();
  if (!v || v.toLowerCase() === 'none') return [];
  return v.split(',').map((raw) => {
    let s = raw.trim().replace(/^ssh:\/\//, '');
    let user: string | undefined;
    const at = s.lastIndexOf('@');
    if (at >= 0) {
      user = s.slice(0, at);
      s = s.slice(at + 1);
    }
    let host = s;
    let port: number | undefined;
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
    if (bracket) {
      host = bracket[1]!;
      if (bracket[2]) port = Number(bracket[2]);
    } else {
      const m = /^([^:]+):(\d+)$/.exec(s);
      if (m) {
        host = m[1]!;
        port = Number(m[2]);
      }
    }
    return { host, ...(user ? { user } : {}), ...(port ? { port } : {}) };
  });
}

/** What `ssh -G -F FILE alias` gives when no line of FILE applies to `alias` (an empty file). */
export function defaultTarget(alias: string): SshTarget {
  return { alias, hostname: alias.toLowerCase(), port: 22, user: '', identityFiles: [], proxyJump: [], userKnownHostsFiles: [], identitiesOnly: false };
}

/**
 * Whether any line of an OpenSSH client config (Includes inlined) can change what
 * `ssh -G -F FILE alias` prints, compared with an empty file. When it cannot, the target is
 * `defaultTarget(alias)` and no `ssh -G` needs to run. Errs towards "yes": a setting before the
 * first Host or Match line (it applies to every host), any Match block (it can test anything:
 * user, exec, canonical...), a leftover Include, or a Host line with a pattern that matches the
 * alias (case-insensitive `*` and `?` globs; `!` negations are not subtracted).
 */
export function sshConfigMayApply(text: string, alias: string): boolean {
  const host = alias.toLowerCase();
  let inBlock = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z]+)\s*(?:=\s*|\s)\s*(.*)$/.exec(line) ?? /^([A-Za-z]+)$/.exec(line);
    const keyword = (m?.[1] ?? line).toLowerCase();
    const args = m?.[2] ?? '';
    if (keyword === 'match' || keyword === 'include') return true;
    if (keyword === 'host') {
      inBlock = true;
      const patterns = args.replace(/"/g, ' ').split(/[\s,]+/).filter((p) => p && !p.startsWith('!'));
      if (patterns.some((p) => globMatches(p.toLowerCase(), host))) return true;
      continue;
    }
    if (!inBlock) return true;
  }
  return false;
}

function globMatches(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return re.test(s);
}

/** `ssh -G` prints `key value` lines with lower-case keys; some keys repeat (identityfile). */
export function parseSshG(alias: string, text: string): SshTarget {
  const multi = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const k = m[1]!.toLowerCase();
    const list = multi.get(k) ?? [];
    list.push(m[2]!);
    multi.set(k, list);
  }
  const one = (k: string): string | undefined => multi.get(k)?.[0];
  const hostKeyAlias = one('hostkeyalias');
  const knownHosts = (multi.get('userknownhostsfile') ?? []).flatMap((v) => v.split(/\s+/)).filter(Boolean);
  return {
    alias,
    hostname: one('hostname') ?? alias,
    port: Number(one('port') ?? 22) || 22,
    user: one('user') ?? '',
    identityFiles: multi.get('identityfile') ?? [],
    proxyJump: parseProxyJump(one('proxyjump') ?? ''),
    ...(hostKeyAlias && hostKeyAlias !== 'none' ? { hostKeyAlias } : {}),
    userKnownHostsFiles: knownHosts,
    identitiesOnly: (one('identitiesonly') ?? 'no').toLowerCase() === 'yes',
  };
}

export interface NodeSshFields {
  host?: string;
  ssh_user?: string;
  ssh_port?: number;
  ssh_key_path?: string;
}

/**
 * Explicit node fields override the ssh config: ssh_user → User, ssh_port → Port, ssh_key_path
 * is tried before the config's IdentityFile entries. `host` is the alias looked up.
 */
export function applyNodeOverrides(target: SshTarget, node: NodeSshFields): SshTarget {
  return {
    ...target,
    ...(node.ssh_user ? { user: node.ssh_user } : {}),
    ...(node.ssh_port ? { port: node.ssh_port } : {}),
    identityFiles: node.ssh_key_path ? [node.ssh_key_path, ...target.identityFiles.filter((f) => f !== node.ssh_key_path)] : target.identityFiles,
  };
}

/** How a target is written in messages: user@host:port (via jump, …). */
export function describeTarget(t: SshTarget): string {
  const via = t.proxyJump.length ? ` via ${t.proxyJump.map((j) => `${j.user ? `${j.user}@` : ''}${j.host}${j.port ? `:${j.port}` : ''}`).join(',')}` : '';
  return `${t.user ? `${t.user}@` : ''}${t.hostname}:${t.port}${via}`;
}
