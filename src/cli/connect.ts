// The connection flags every command that talks to nodes takes (health, deploy, run, status, logs,
// stop), and the ConnectionPool built from them:
//
//   options: { ...CONNECT_OPTIONS, ... }      help: CONNECT_HELP
//   const pool = poolFromFlags(io, values, ws.rootDir);  ...  finally { await pool.closeAll(); }
//
// Passphrases of encrypted keys come from CLUSTERLAB_SSH_PASSPHRASE, or a prompt on a terminal
// (never echoed, never logged). Unknown host keys are accepted with --accept-new-host-keys, or
// after a y/N prompt on a terminal; otherwise refused. Changed keys are always refused.
import { resolve } from 'node:path';
import { UsageError, type CliIO, type OptionSpec, type ParsedValues } from './command';
import { ConnectionPool, type ConnectionPoolOptions } from '../remote/pool';

export const CONNECT_OPTIONS: OptionSpec = {
  'accept-new-host-keys': { type: 'boolean' },
  'known-hosts': { type: 'string' },
  'ssh-config': { type: 'string' },
};

export const CONNECT_HELP = [
  '  --accept-new-host-keys  accept (and record) host keys not yet in known_hosts; a changed',
  '                          key is always refused',
  '  --known-hosts FILE      known_hosts file (default: ~/.ssh/known_hosts or your ssh config\'s)',
  '  --ssh-config FILE       OpenSSH client config (default: ~/.ssh/config)',
  '',
  'Encrypted keys: the passphrase is read from CLUSTERLAB_SSH_PASSPHRASE, or asked for on a',
  'terminal. ssh-agent (SSH_AUTH_SOCK) is used when available.',
].join('\n');

function stringFlag(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} needs a value`);
  return v;
}

/** Ask on the terminal without echo. Resolves undefined when stdin is not a terminal or on Ctrl-C/Ctrl-D. */
export function promptHidden(io: CliIO, question: string): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!io.interactive || !stdin.isTTY) return Promise.resolve(undefined);
  return new Promise((resolveP) => {
    io.err(question);
    let answer = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    const done = (v: string | undefined) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      io.err('\n');
      resolveP(v);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(answer);
        if (ch === '\u0003' || ch === '\u0004') return done(undefined);
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** Ask a visible yes/no question on the terminal. */
function promptYesNo(io: CliIO, question: string): Promise<boolean> {
  const stdin = process.stdin;
  if (!io.interactive || !stdin.isTTY) return Promise.resolve(false);
  return new Promise((resolveP) => {
    io.err(question);
    stdin.resume();
    stdin.once('data', (b: Buffer) => {
      stdin.pause();
      resolveP(/^\s*y(es)?\s*$/i.test(b.toString('utf8')));
    });
  });
}

/** A ConnectionPool configured from the command line flags. */
export function poolFromFlags(io: CliIO, values: ParsedValues, rootDir: string, extra: Partial<ConnectionPoolOptions> = {}): ConnectionPool {
  const knownHosts = stringFlag(values, 'known-hosts');
  const sshConfig = stringFlag(values, 'ssh-config');
  const acceptNew = values['accept-new-host-keys'] === true;
  // Prompts (host keys, passphrases) happen one at a time even when nodes connect in parallel.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn, fn);
    queue = p.catch(() => undefined);
    return p;
  };
  const passphrases = new Map<string, Promise<string | undefined>>();
  const options: ConnectionPoolOptions = {
    localRootDir: rootDir,
    passphrase: (node, keyPath) => {
      const fromEnv = io.env.CLUSTERLAB_SSH_PASSPHRASE;
      if (fromEnv !== undefined && fromEnv !== '') return Promise.resolve(fromEnv);
      let p = passphrases.get(keyPath);
      if (!p) {
        p = serial(() => promptHidden(io, `Passphrase for ${keyPath} (node ${node}): `));
        passphrases.set(keyPath, p);
      }
      return p;
    },
    ...(io.env.CLUSTERLAB_DEBUG ? { log: (line: string) => io.err(`clusterlab: ${line}\n`) } : {}),
  };
  // Without the flag and without a terminal to ask on, unknown keys are refused with OpenSSH's
  // advice (no confirmHostKey at all gives the "host key unknown ... --accept-new-host-keys" message).
  if (acceptNew || (io.interactive && process.stdin.isTTY)) {
    options.confirmHostKey = async (node, host, fingerprint, keyType) => {
      if (acceptNew) {
        io.err(`clusterlab: node ${node}: accepted new host key for ${host} (${keyType} ${fingerprint}) and recorded it in known_hosts\n`);
        return true;
      }
      return serial(() => promptYesNo(io, `node ${node}: the host key of ${host} is not known.\n  ${keyType} key fingerprint is ${fingerprint}\nAccept it and record it in known_hosts? [y/N] `));
    };
  }
  if (knownHosts) options.knownHostsPath = resolve(io.cwd, knownHosts);
  if (sshConfig) options.sshConfigPath = resolve(io.cwd, sshConfig);
  return new ConnectionPool({ ...options, ...extra });
}
