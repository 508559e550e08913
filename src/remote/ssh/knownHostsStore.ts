// known_hosts file I/O: which files are read, and appending a newly accepted key.
import { promises as fsp } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseKnownHosts, type KnownHostsFile } from '../../core/ssh/knownHosts';
import { expandHome } from './sshConfig';

export function defaultKnownHostsPath(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

/**
 * The files checked: an explicit path alone (tests, settings); else the ssh config's
 * UserKnownHostsFile entries (or ~/.ssh/known_hosts and known_hosts2) plus the system file.
 * The first one is where accepted keys are written.
 */
export function knownHostsFiles(explicit: string | undefined, fromSshConfig: string[]): { read: string[]; write: string } {
  if (explicit) return { read: [explicit], write: explicit };
  const user = (fromSshConfig.length ? fromSshConfig : ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']).map(expandHome);
  return { read: [...user, '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'], write: user[0] ?? defaultKnownHostsPath() };
}

// Parsed files, reused while the file is unchanged (same mtime and size): ten connects at once
// read and parse known_hosts once, and a key appended by one connect is seen by the next.
const parsedCache = new Map<string, { mtimeMs: number; size: number; parsed: KnownHostsFile }>();

export async function loadKnownHosts(paths: string[]): Promise<KnownHostsFile[]> {
  const out: KnownHostsFile[] = [];
  for (const p of paths) {
    try {
      const st = await fsp.stat(p);
      const hit = parsedCache.get(p);
      if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) {
        out.push(hit.parsed);
        continue;
      }
      const parsed = parseKnownHosts(p, await fsp.readFile(p, 'utf8'));
      parsedCache.set(p, { mtimeMs: st.mtimeMs, size: st.size, parsed });
      out.push(parsed);
    } catch {
      // missing or unreadable file: as OpenSSH, skip it
    }
  }
  return out;
}

/** Append one line (creating the file 0600 and its directory 0700 when missing). */
export async function appendKnownHost(path: string, line: string): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const cur = await fsp.readFile(path);
    if (cur.length && cur[cur.length - 1] !== 0x0a) prefix = '\n';
  } catch {
    // new file
  }
  await fsp.appendFile(path, `${prefix}${line}\n`, { mode: 0o600 });
}
