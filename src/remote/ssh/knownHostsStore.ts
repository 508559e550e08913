// known_hosts file I/O: which files are read, and appending a newly accepted key.
import { existsSync, promises as fsp } from 'node:fs';
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

export async function loadKnownHosts(paths: string[]): Promise<KnownHostsFile[]> {
  const out: KnownHostsFile[] = [];
  for (const p of paths) {
    if (!existsSync(p)) continue;
    try {
      out.push(parseKnownHosts(p, await fsp.readFile(p, 'utf8')));
    } catch {
      // unreadable file: as OpenSSH, skip it
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
