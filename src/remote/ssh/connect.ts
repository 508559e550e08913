// Opening one authenticated, host-key-checked ssh2 Client (one hop), and chains of them for
// ProxyJump. Errors are ConnectionErrors naming the node, what happened and what to do.
import { createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { Client, utils, type AnyAuthMethod, type AuthenticationType, type ConnectConfig, type ParsedKey } from 'ssh2';
import { checkHostKey, fingerprintSHA256, formatKnownHostsLine, knownHostsName, knownKeyTypes, keyTypeOfBlob } from '../../core/ssh/knownHosts';
import type { SshTarget } from '../../core/ssh/sshConfig';
import { ConnectionError } from '../connection';
import { appendKnownHost, knownHostsFiles, loadKnownHosts } from './knownHostsStore';
import { expandHome } from './sshConfig';

export type ConfirmHostKey = (node: string, host: string, fingerprintSHA256: string, keyType: string) => Promise<boolean>;
export type PassphraseProvider = (node: string, keyPath: string) => Promise<string | undefined>;

export interface HopOptions {
  knownHostsPath?: string;
  confirmHostKey?: ConfirmHostKey;
  passphrase?: PassphraseProvider;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** ssh-agent socket; default SSH_AUTH_SOCK. Empty string disables the agent. */
  agentSocket?: string;
  log?: (line: string) => void;
  /** Decrypted keys kept for the life of the pool, so a passphrase is asked once. Never logged. */
  keyCache?: Map<string, ParsedKey>;
}

const DEFAULT_IDENTITIES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];
const DEFAULT_HOST_KEY_ALGOS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

function hostKeyAlgorithms(known: string[]): string[] {
  const first = known.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])).filter((t) => DEFAULT_HOST_KEY_ALGOS.includes(t));
  return [...new Set([...first, ...DEFAULT_HOST_KEY_ALGOS])];
}

/** Open a TCP socket with Nagle off (it costs ~40 ms per exec otherwise). */
export function openSocket(node: string, host: string, port: number, timeoutMs: number, label = ''): Promise<net.Socket> {
  const at = label ? `${label}: ` : '';
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    sock.setNoDelay(true);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new ConnectionError('timeout', node, `${at}no answer from ${host}:${port} within ${timeoutMs} ms`, 'Check that the node is powered on and reachable on the network'));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setKeepAlive(true, 5000);
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      sock.destroy();
      reject(socketError(node, host, port, e, label));
    });
  });
}

export function socketError(node: string, host: string, port: number, e: NodeJS.ErrnoException, label = ''): ConnectionError {
  const err = plainSocketError(node, host, port, e);
  if (!label) return err;
  const body = err.message.slice(`node ${node}: `.length, err.hint ? -(err.hint.length + 2) : undefined);
  return new ConnectionError(err.kind, node, `${label}: ${body}`, err.hint);
}

function plainSocketError(node: string, host: string, port: number, e: NodeJS.ErrnoException): ConnectionError {
  switch (e.code) {
    case 'ECONNREFUSED':
      return new ConnectionError('unreachable', node, `connection refused by ${host}:${port}`, 'Check that sshd runs on the node and listens on that port (ssh_port)');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      return new ConnectionError('unreachable', node, `host ${host} is unreachable (${e.code})`, 'Check the network link and that the node is powered on');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError('unreachable', node, `cannot resolve host name ${host}`, 'Check the `host` field or the HostName in your ssh config');
    case 'ETIMEDOUT':
      return new ConnectionError('timeout', node, `connection to ${host}:${port} timed out`, 'Check that the node is powered on and reachable');
    default:
      return new ConnectionError('unreachable', node, `cannot connect to ${host}:${port}: ${e.code ?? e.message}`, 'Check the network and the node');
  }
}

interface KeyAttempt {
  label: string;
  outcome: string;
}

/**
 * Connect one hop. `sock` is either a TCP socket we opened or a forwarded channel from the
 * previous hop. `label` names the hop in errors ("jump host j1" or "").
 */
export async function connectHop(node: string, target: SshTarget, sock: Duplex, opts: HopOptions, label = ''): Promise<Client> {
  const who = label ? `${label} ${target.hostname}:${target.port}` : `${target.hostname}:${target.port}`;
  const files = knownHostsFiles(opts.knownHostsPath, target.userKnownHostsFiles);
  const khFiles = await loadKnownHosts(files.read);
  const names = [target.hostKeyAlias ?? knownHostsName(target.hostname, target.port)];
  let hostKeyFailure: ConnectionError | undefined;
  const attempts: KeyAttempt[] = [];

  const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
    const verdict = checkHostKey(khFiles, names, key);
    const type = keyTypeOfBlob(key);
    const fp = fingerprintSHA256(key);
    if (verdict.status === 'known') return verify(true);
    if (verdict.status === 'revoked') {
      hostKeyFailure = new ConnectionError('host_key_changed', node, `${who}: host key ${fp} is marked @revoked (known_hosts line ${verdict.entry.line}: ${verdict.entry.file})`, 'Connection refused. Ask the node administrator for a new host key');
      return verify(false);
    }
    if (verdict.status === 'changed') {
      hostKeyFailure = new ConnectionError(
        'host_key_changed',
        node,
        `${who}: host key changed (known_hosts line ${verdict.entry.line}: ${verdict.entry.file}); the node now presents ${type} ${fp}${verdict.expectedFingerprint ? `, known_hosts has ${verdict.expectedFingerprint}` : ''}`,
        `This may be an attack. If the node was reinstalled, remove that line with ssh-keygen -f '${verdict.entry.file}' -R '${names[0]}' and connect again to accept the new key`,
      );
      return verify(false);
    }
    const caNote = verdict.ignoredCertAuthority.length ? ` (@cert-authority line ${verdict.ignoredCertAuthority[0]!.line} ignored: host certificates are not supported)` : '';
    if (!opts.confirmHostKey) {
      hostKeyFailure = new ConnectionError(
        'host_key_unknown',
        node,
        `${who}: host key unknown (${type} ${fp}, not in ${files.read.filter((f) => existsSync(f)).join(', ') || files.write})${caNote}`,
        `Check the fingerprint on the node (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then accept it with --accept-new-host-keys (CLI) or in the VS Code prompt, or run ssh once`,
      );
      return verify(false);
    }
    opts
      .confirmHostKey(node, names[0]!, fp, type)
      .then(async (ok) => {
        if (!ok) {
          hostKeyFailure = new ConnectionError('host_key_unknown', node, `${who}: host key ${type} ${fp} was not accepted`, 'Connect again and accept the key once you have checked its fingerprint');
          return verify(false);
        }
        const line = target.hostKeyAlias ? `${target.hostKeyAlias} ${type} ${key.toString('base64')}` : formatKnownHostsLine(target.hostname, target.port, type, key.toString('base64'));
        await appendKnownHost(files.write, line);
        opts.log?.(`${node}: added host key ${type} ${fp} for ${names[0]} to ${files.write}`);
        verify(true);
      })
      .catch((e: unknown) => {
        hostKeyFailure = new ConnectionError('host_key_unknown', node, `${who}: could not record the host key: ${e instanceof Error ? e.message : String(e)}`, `Check that ${files.write} is writable`);
        verify(false);
      });
  };

  // Auth methods, tried in order: ssh-agent, then each key file (node key, IdentityFile, defaults).
  const agent = opts.agentSocket ?? process.env.SSH_AUTH_SOCK ?? '';
  const keyPaths = [...new Set([...target.identityFiles, ...DEFAULT_IDENTITIES].map(expandHome))];
  const queue: Array<() => Promise<AnyAuthMethod | null>> = [];
  if (agent && existsSync(agent)) {
    queue.push(async () => {
      attempts.push({ label: 'ssh-agent', outcome: 'rejected' });
      return { type: 'agent', username: target.user, agent };
    });
  }
  for (const p of keyPaths) {
    queue.push(async () => {
      const parsed = await loadKey(node, p, opts, attempts);
      if (!parsed) return null;
      attempts.push({ label: p, outcome: 'rejected' });
      return { type: 'publickey', username: target.user, key: parsed };
    });
  }
  const authHandler = (_left: AuthenticationType[], _partial: boolean, next: (m: AnyAuthMethod | false) => void): void => {
    const step = async (): Promise<void> => {
      for (;;) {
        const f = queue.shift();
        if (!f) return next(false);
        const m = await f().catch(() => null);
        if (m) return next(m);
      }
    };
    void step();
  };

  const client = new Client();
  const cfg: ConnectConfig = {
    sock: sock as unknown as ConnectConfig['sock'],
    username: target.user,
    hostVerifier: hostVerifier as ConnectConfig['hostVerifier'],
    authHandler: authHandler as unknown as ConnectConfig['authHandler'],
    keepaliveInterval: opts.keepaliveIntervalMs,
    keepaliveCountMax: opts.keepaliveCountMax,
    readyTimeout: opts.connectTimeoutMs,
    algorithms: { serverHostKey: hostKeyAlgorithms(knownKeyTypes(khFiles, names)) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
  };
  return new Promise<Client>((resolve, reject) => {
    let done = false;
    const fail = (err: ConnectionError) => {
      if (done) return;
      done = true;
      client.end();
      sock.destroy();
      reject(err);
    };
    client.once('ready', () => {
      if (done) return;
      done = true;
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
      resolve(client);
    });
    const onError = (e: Error & { level?: string; code?: string }) => {
      if (hostKeyFailure) return fail(hostKeyFailure);
      if (e.level === 'client-authentication') {
        const tried = attempts.map((a) => `${a.label} (${a.outcome})`).join(', ') || 'no key found (no ssh-agent, no key file)';
        return fail(new ConnectionError('auth_failed', node, `${who}: authentication as ${target.user} failed; tried ${tried}`, `Add your public key to ~${target.user}/.ssh/authorized_keys on the node, set ssh_key_path, or load the key into ssh-agent`));
      }
      if (e.level === 'client-timeout') return fail(new ConnectionError('timeout', node, `${who}: SSH handshake did not finish within ${opts.connectTimeoutMs} ms`, 'The node accepts TCP but sshd does not answer: check that it is not overloaded or hung'));
      if (e.code) return fail(socketError(node, target.hostname, target.port, e as NodeJS.ErrnoException, label));
      fail(new ConnectionError('unreachable', node, `${who}: SSH connection failed: ${e.message}`, 'Check that sshd runs on the node'));
    };
    const onClose = () => {
      if (hostKeyFailure) return fail(hostKeyFailure);
      fail(new ConnectionError('unreachable', node, `${who}: the connection was closed during the SSH handshake`, 'Check sshd on the node (MaxStartups, AllowUsers, its logs)'));
    };
    client.on('error', onError);
    client.on('close', onClose);
    try {
      client.connect(cfg);
    } catch (e) {
      fail(new ConnectionError('unreachable', node, `${who}: ${e instanceof Error ? e.message : String(e)}`, 'Check the connection settings'));
    }
  });
}

// Key loads in flight per pool key cache: ten nodes connecting at once with the same key parse
// it once and ask for its passphrase once.
const keyLoads = new WeakMap<Map<string, ParsedKey>, Map<string, Promise<{ key: ParsedKey | null; outcome?: string }>>>();

async function loadKey(node: string, path: string, opts: HopOptions, attempts: KeyAttempt[]): Promise<ParsedKey | null> {
  const cached = opts.keyCache?.get(path);
  if (cached) return cached;
  let inflight = opts.keyCache ? keyLoads.get(opts.keyCache) : undefined;
  if (opts.keyCache && !inflight) keyLoads.set(opts.keyCache, (inflight = new Map()));
  let load = inflight?.get(path);
  if (!load) {
    load = readKey(node, path, opts);
    if (inflight) {
      inflight.set(path, load);
      void load.finally(() => inflight.delete(path));
    }
  }
  const r = await load;
  if (r.outcome) attempts.push({ label: path, outcome: r.outcome });
  return r.key;
}

async function readKey(node: string, path: string, opts: HopOptions): Promise<{ key: ParsedKey | null; outcome?: string }> {
  let data: Buffer;
  try {
    data = await fsp.readFile(path);
  } catch {
    return { key: null }; // missing key files are skipped silently, as OpenSSH does
  }
  let parsed = utils.parseKey(data);
  if (parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message)) {
    if (!opts.passphrase) return { key: null, outcome: 'encrypted, no passphrase source' };
    const pass = await opts.passphrase(node, path);
    if (pass === undefined) return { key: null, outcome: 'encrypted, no passphrase given' };
    parsed = utils.parseKey(data, pass);
    if (parsed instanceof Error) return { key: null, outcome: 'wrong passphrase' };
  }
  if (parsed instanceof Error) return { key: null, outcome: `unreadable key: ${parsed.message}` };
  const key = signWithKeyObject(Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed);
  opts.keyCache?.set(path, key);
  return { key };
}

// The hash each key type signs with when ssh2 names none (RSA names sha256/sha512 for rsa-sha2-*).
const DEFAULT_SIGN_HASH: Record<string, string | null> = {
  'ssh-ed25519': null,
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
  'ssh-rsa': 'sha1',
  'ssh-dss': 'sha1',
};

/**
 * ssh2 signs with the key's PEM text, which OpenSSL 3 decodes again for every signature (0.4 ms
 * for ed25519, ten times the signature itself): decode it once, into a KeyObject, per loaded key.
 * Same algorithm and output as ssh2's own `sign`; any key this does not know keeps ssh2's.
 */
function signWithKeyObject(key: ParsedKey): ParsedKey {
  const pem = key.getPrivatePEM();
  const def = DEFAULT_SIGN_HASH[key.type];
  if (!pem || def === undefined) return key;
  let ko: KeyObject;
  try {
    ko = createPrivateKey(pem);
  } catch {
    return key;
  }
  // ssh2 returns an Error rather than throwing (its client checks `instanceof Error`); the
  // typings say Buffer only.
  key.sign = ((data: Buffer | string, algo?: string): Buffer | Error => {
    try {
      return cryptoSign(algo || def, typeof data === 'string' ? Buffer.from(data) : data, ko);
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  }) as ParsedKey['sign'];
  return key;
}

/**
 * Open a channel to host:port through an established client (ProxyJump). `viaLabel` names the
 * jump host in errors, `nextLabel` the hop being reached ('' for the node itself).
 */
export function forwardThrough(node: string, via: Client, host: string, port: number, viaLabel = 'the jump host', nextLabel = ''): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
      if (err) {
        const what = nextLabel ? `${nextLabel} at ${host}:${port}` : `${host}:${port}`;
        reject(new ConnectionError('unreachable', node, `${viaLabel || 'the jump host'} could not open a connection to ${what}: ${err.message}`, 'Check that the jump host can reach the next host and allows TCP forwarding (AllowTcpForwarding)'));
      } else resolve(ch as unknown as Duplex);
    });
  });
}
