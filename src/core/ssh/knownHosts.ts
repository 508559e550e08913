// known_hosts parsing and host-key matching, as OpenSSH does it. Pure: the caller reads the
// files. Supports hashed hosts (`|1|salt|hash`, HMAC-SHA1), `[host]:port`, patterns with `*`,
// `?` and `!`, `@revoked` (refused) and `@cert-authority` (not supported: such lines are ignored
// and reported), several keys per host and comment lines.
import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  marker: '' | '@revoked' | '@cert-authority';
  /** Host patterns as written (comma-separated list or a `|1|…` hash). */
  hosts: string;
  keyType: string;
  /** Base64 key blob. */
  key: string;
}

export interface KnownHostsFile {
  file: string;
  entries: KnownHostEntry[];
  /** Lines that could not be parsed (ignored, as OpenSSH does). */
  invalid: number[];
}

export function parseKnownHosts(file: string, text: string): KnownHostsFile {
  const entries: KnownHostEntry[] = [];
  const invalid: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const lineText = raw.trim();
    if (!lineText || lineText.startsWith('#')) return;
    const parts = lineText.split(/\s+/);
    let marker: KnownHostEntry['marker'] = '';
    if (parts[0]?.startsWith('@')) {
      const m = parts.shift();
      if (m !== '@revoked' && m !== '@cert-authority') {
        invalid.push(i + 1);
        return;
      }
      marker = m;
    }
    const [hosts, keyType, key] = parts;
    if (!hosts || !keyType || !key) {
      invalid.push(i + 1);
      return;
    }
    entries.push({ file, line: i + 1, marker, hosts, keyType, key });
  });
  return { file, entries, invalid };
}

/** The name OpenSSH looks up: `host` for port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** A known_hosts line for a key (the form `ssh` writes, unhashed). */
export function formatKnownHostsLine(host: string, port: number, keyType: string, keyBase64: string): string {
  return `${knownHostsName(host, port)} ${keyType} ${keyBase64}`;
}

/** Glob match with `*` and `?`, case-insensitive as OpenSSH does for host names. */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

/** Does the host field of an entry match `name` (already in `[host]:port` form when needed)? */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    const h = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return h === hash;
  }
  let matched = false;
  for (const p of hosts.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

/** Hash a host name the way `ssh-keygen -H` does (salt is 20 random bytes, given by the caller). */
export function hashHostName(name: string, salt: Buffer): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

/** Key type name inside an SSH public key blob (first length-prefixed string). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  if (n > 64 || blob.length < 4 + n) return 'unknown';
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** `SHA256:…` fingerprint of a key blob, as `ssh-keygen -l` prints it. */
export function fingerprintSHA256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Host key algorithm family, so an `rsa-sha2-512` offer matches an `ssh-rsa` line. */
function family(keyType: string): string {
  if (keyType === 'ssh-rsa' || keyType.startsWith('rsa-sha2-')) return 'ssh-rsa';
  return keyType;
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown'; ignoredCertAuthority: KnownHostEntry[] }
  | { status: 'changed'; entry: KnownHostEntry; expectedFingerprint: string }
  | { status: 'revoked'; entry: KnownHostEntry };

/**
 * Check a presented host key against known_hosts entries, for the lookup names given (usually
 * one: `knownHostsName(host, port)`; a HostKeyAlias replaces it).
 *   revoked  the key appears in a `@revoked` line (for any host): refuse
 *   known    an entry for this host has exactly this key
 *   changed  entries for this host exist but none has this key: refuse
 *   unknown  no entry for this host
 */
export function checkHostKey(files: KnownHostsFile[], names: string[], keyBlob: Buffer): HostKeyVerdict {
  const keyB64 = keyBlob.toString('base64');
  const type = keyTypeOfBlob(keyBlob);
  const all = files.flatMap((f) => f.entries);
  const revoked = all.find((e) => e.marker === '@revoked' && e.key === keyB64);
  if (revoked) return { status: 'revoked', entry: revoked };
  const forHost = all.filter((e) => e.marker === '' && names.some((n) => hostFieldMatches(e.hosts, n)));
  const exact = forHost.find((e) => e.key === keyB64);
  if (exact) return { status: 'known', entry: exact };
  const ca = all.filter((e) => e.marker === '@cert-authority' && names.some((n) => hostFieldMatches(e.hosts, n)));
  if (forHost.length === 0) return { status: 'unknown', ignoredCertAuthority: ca };
  const sameType = forHost.find((e) => family(e.keyType) === family(type)) ?? forHost[0]!;
  let expectedFingerprint = '';
  try {
    expectedFingerprint = fingerprintSHA256(Buffer.from(sameType.key, 'base64'));
  } catch {
    expectedFingerprint = '';
  }
  return { status: 'changed', entry: sameType, expectedFingerprint };
}

/** Key types known for a host, in file order (to prefer them during key exchange, as OpenSSH does). */
export function knownKeyTypes(files: KnownHostsFile[], names: string[]): string[] {
  const types: string[] = [];
  for (const f of files)
    for (const e of f.entries)
      if (e.marker === '' && names.some((n) => hostFieldMatches(e.hosts, n)) && !types.includes(e.keyType)) types.push(e.keyType);
  return types;
}
