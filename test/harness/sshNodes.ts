// Real OpenSSH test nodes for the test suite and the benchmarks.
//
//   import { startSshNodes } from '../harness/sshNodes';
//   const cluster = await startSshNodes({ count: 3 });                  // sshd on 127.0.0.1 ports
//   const cluster = await startSshNodes({ count: 10, namespaces: true,  // each node in its own
//                                          relayDelayMs: 10 });         // netns, 20 ms RTT relay
//   after(() => cluster.stop());                                        // always (also on failure)
//
//   cluster.nodes[i]      one SshTestNode (below)
//   cluster.nodeConfig(n) a NodeConfig (name, host, ssh_port, ssh_user, ssh_key_path; type generic)
//   nodeYaml(n, fields)   the same node as a cluster.yaml `nodes:` entry (lines), with more fields
//   cluster.poolOptions() { knownHostsPath, sshConfigPath, agentSocket: '' } for ConnectionPool
//   cluster.knownHostsPath  known_hosts with every node's host key ([host]:port form)
//   cluster.sshConfigPath   ssh config with `Host <node name>` entries (HostName, Port, User, IdentityFile)
//   cluster.clientKeyPath   the unencrypted ed25519 client key, authorized on every node
//   cluster.userName        the unprivileged test user (default cltest, home /tmp/cltest-home)
//   cluster.dir             private directory (keys, configs) under /run/clusterlab-test
//   cluster.authorize(pub)  add another public key to authorized_keys
//   cluster.stop()          kills every process of every node, removes namespaces, veths, routes
//
// SshTestNode:
//   name, host, port        what a client connects to (the relay when there is one)
//   sshdHost, sshdPort      sshd itself
//   userName, keyPath       login user and client key
//   hostKeyPath, hostPublicKey ("ssh-ed25519 AAAA…"), knownHostsLine
//   namespace?              netns name (namespaces: true)
//   pids()                  every pid of the node (netns: `ip netns pids`; else sshd and its children)
//   stop() / start()        stop every process of the node / start sshd (and relay) again
//   kill()                  SIGKILL every process of the node (a crashed machine)
//   pause() / resume()      SIGSTOP / SIGCONT every process of the node (a hung machine)
//   linkDown() / linkUp()   take the veth inside the namespace down / up (namespaces only)
//   behind?                 (chain: true) the node whose namespace is the only way in
//   relay?                  { delay(ms), stall(), resume(), drop(), pass(), reset() } when relayDelayMs is set
//
// Requirements: root, /usr/sbin/sshd, ssh-keygen, iproute2 for namespaces, cc for the relay.
// Missing ones make startSshNodes throw with a clear message (never a silent skip). Addresses are 127.0.0.1 or
// random 10.231.x.y/30 subnets that exist only inside the namespaces made here, with a
// blackhole route so a downed link never falls through to the default route.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { nodeSchema, type NodeConfig } from '../../src/core/config/schema';

export interface StartOptions {
  count: number;
  /** Each node in its own network namespace with a veth pair (default false: 127.0.0.1 ports). */
  namespaces?: boolean;
  /** One-way delay added by a TCP relay in front of each node (RTT = 2×). Enables `relay`. */
  relayDelayMs?: number;
  /**
   * With namespaces: node i+1's namespace is linked only to node i's namespace (not to this
   * one), and its sshd listens on that link. Node 1 is reachable from here; every later node
   * only through the ones before it (ProxyJump n1,n2,…). Its address has a blackhole route here.
   */
  chain?: boolean;
  /** Force a relay even with no delay (for stall/drop tests). */
  relay?: boolean;
  /** Node names (default n1, n2, …). */
  names?: string[];
  /** Test user (default cltest). */
  userName?: string;
  /** Extra sshd_config lines for every node. */
  sshdConfig?: string[];
}

export interface RelayControl {
  delay(ms: number): Promise<void>;
  stall(): Promise<void>;
  resume(): Promise<void>;
  drop(): Promise<void>;
  pass(): Promise<void>;
  reset(): Promise<void>;
}

export interface SshTestNode {
  name: string;
  host: string;
  port: number;
  sshdHost: string;
  sshdPort: number;
  userName: string;
  keyPath: string;
  hostKeyPath: string;
  hostPublicKey: string;
  knownHostsLine: string;
  namespace?: string;
  /** chain: true: the previous node, the only one that can reach this node. */
  behind?: string;
  relay?: RelayControl;
  pids(): number[];
  start(): Promise<void>;
  stop(): Promise<void>;
  kill(): void;
  pause(): void;
  resume(): void;
  linkDown(): void;
  linkUp(): void;
}

export interface SshCluster {
  dir: string;
  userName: string;
  clientKeyPath: string;
  clientPublicKey: string;
  knownHostsPath: string;
  sshConfigPath: string;
  nodes: SshTestNode[];
  nodeConfig(node: SshTestNode, extra?: Partial<NodeConfig>): NodeConfig;
  poolOptions(): { knownHostsPath: string; sshConfigPath: string; agentSocket: string };
  authorize(publicKeyLine: string): void;
  stop(): Promise<void>;
}

const ROOT = '/run/clusterlab-test';
const SSHD = '/usr/sbin/sshd';
const RELAY_C = join(__dirname, 'relay.c');

// relay.c, compiled once per source version (about 0.3 s) and cached under ROOT. A relay in C:
// in a benchmark of 10 nodes on 2 cores, what the simulated network burns is taken from the sshd
// processes and the client being measured (a Node relay cost 3 times as much CPU per connection).
let relayBin: string | undefined;
function relayCommand(): string {
  if (relayBin) return relayBin;
  const src = readFileSync(RELAY_C);
  const bin = join(ROOT, `relay-${createHash('sha256').update(src).digest('hex').slice(0, 12)}`);
  if (!existsSync(bin)) {
    const tmp = `${bin}.${process.pid}.tmp`;
    const r = spawnSync('cc', ['-O2', '-o', tmp, RELAY_C], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`harness: cannot build the relay (${r.error ? 'no C compiler: apt-get install -y gcc libc6-dev' : `cc failed: ${r.stderr.trim()}`})`);
    renameSync(tmp, bin); // atomic: parallel test processes may build it at the same time
  }
  return (relayBin = bin);
}

interface State {
  pid: number;
  namespaces: string[];
  veths: string[];
  routes: string[];
  pids: number[];
}

function run(cmd: string, args: string[], opts: { allowFail?: boolean } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`harness: ${cmd} ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout ?? '';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cleanupState(st: State): void {
  for (const p of st.pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const ns of st.namespaces) {
    const pids = run('ip', ['netns', 'pids', ns], { allowFail: true }).split(/\s+/).filter(Boolean).map(Number);
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  for (const v of st.veths) run('ip', ['link', 'del', v], { allowFail: true });
  for (const ns of st.namespaces) run('ip', ['netns', 'del', ns], { allowFail: true });
  for (const r of st.routes) run('ip', ['route', 'del', 'blackhole', r, 'metric', '4000'], { allowFail: true });
}

/** Remove what earlier runs (crashed before cleanup) left behind. */
function collectGarbage(): void {
  if (!existsSync(ROOT)) return;
  for (const d of readdirSync(ROOT)) {
    const f = join(ROOT, d, 'state.json');
    if (!existsSync(f)) continue;
    try {
      const st = JSON.parse(readFileSync(f, 'utf8')) as State;
      if (alive(st.pid)) continue;
      cleanupState(st);
      rmSync(join(ROOT, d), { recursive: true, force: true });
    } catch {
      // another run is cleaning it
    }
  }
}

const live = new Set<() => void>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const f of live) f();
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const f of live) f();
      process.exit(130);
    });
  }
}

function ensureUser(user: string): { uid: number; gid: number; home: string } {
  const home = `/tmp/${user}-home`;
  if (spawnSync('id', ['-u', user]).status !== 0) {
    spawnSync('useradd', ['-M', '-d', home, '-s', '/bin/bash', user]);
    if (spawnSync('id', ['-u', user]).status !== 0) throw new Error(`harness: cannot create the test user ${user} (useradd failed)`);
  }
  const shadow = readFileSync('/etc/shadow', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (shadow && shadow.split(':')[1]?.startsWith('!')) spawnSync('usermod', ['-p', '*', user]);
  const uid = Number(run('id', ['-u', user]).trim());
  const gid = Number(run('id', ['-g', user]).trim());
  const realHome = run('getent', ['passwd', user]).split(':')[5] ?? home;
  mkdirSync(realHome, { recursive: true, mode: 0o755 });
  chownSync(realHome, uid, gid);
  chmodSync(realHome, 0o755);
  return { uid, gid, home: realHome };
}

/**
 * The `nodes:` list entry of a cluster.yaml for this node: name, host and how to log in
 * (ssh_port, ssh_user, ssh_key_path), then `fields`, which may also replace any of those.
 * Values are written as JSON scalars (valid YAML).
 */
export function nodeYaml(n: SshTestNode, fields: Record<string, string | number | boolean> = {}): string[] {
  const all = { name: n.name, host: n.host, ssh_port: n.port, ssh_user: n.userName, ssh_key_path: n.keyPath, ...fields };
  return Object.entries(all).map(([k, v], i) => `${i ? '    ' : '  - '}${k}: ${JSON.stringify(v)}`);
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves when host:port answers with an SSH banner. */
export async function waitForSsh(host: string, port: number, timeoutMs = 5000, nsExec?: string): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const ok = nsExec
      ? spawnSync('ip', ['netns', 'exec', nsExec, 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port} && head -c 4 <&3`], { encoding: 'utf8', timeout: 1000 }).stdout === 'SSH-'
      : await new Promise<boolean>((resolve) => {
          const s = net.connect({ host, port });
          s.setTimeout(1000);
          s.once('data', (d) => {
            s.destroy();
            resolve(d.toString().startsWith('SSH-'));
          });
          s.once('error', () => resolve(false));
          s.once('timeout', () => {
            s.destroy();
            resolve(false);
          });
        });
    if (ok) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`harness: sshd on ${host}:${port} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function pickSubnet(): string {
  const routes = run('ip', ['-4', 'route', 'show', 'table', 'all']) + run('ip', ['-4', '-o', 'addr']);
  for (let i = 0; i < 200; i++) {
    const x = 1 + Math.floor(Math.random() * 254);
    const y = Math.floor(Math.random() * 63) * 4;
    const base = `10.231.${x}.${y}`;
    if (!routes.includes(`10.231.${x}.`)) return base;
  }
  throw new Error('harness: no free 10.231.x.y/30 subnet');
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      // exited
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

export async function startSshNodes(opts: StartOptions): Promise<SshCluster> {
  if (process.getuid?.() !== 0) throw new Error('harness: SSH tests need root (they start sshd, create a test user and network namespaces). Run them as root, e.g. in CI.');
  if (!existsSync(SSHD)) throw new Error(`harness: ${SSHD} is missing. Install it: apt-get install -y --no-install-recommends openssh-server (scripts/ensure-system-deps.sh does this)`);
  if (spawnSync('ssh-keygen', ['-?']).error) throw new Error('harness: ssh-keygen is missing. Install openssh-client.');
  if (opts.namespaces && spawnSync('ip', ['-V']).error) throw new Error('harness: `ip` (iproute2) is missing; it is needed for network namespaces. Install iproute2.');
  hookExit();
  collectGarbage();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  mkdirSync(ROOT, { recursive: true, mode: 0o755 });
  chmodSync(ROOT, 0o755);
  const id = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const dir = join(ROOT, id);
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const state: State = { pid: process.pid, namespaces: [], veths: [], routes: [], pids: [] };
  const saveState = () => writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  saveState();
  const children = new Set<ChildProcess>();
  let stopped = false;
  const syncCleanup = () => {
    if (stopped) return;
    stopped = true;
    for (const c of children) c.kill('SIGKILL');
    cleanupState(state);
    rmSync(dir, { recursive: true, force: true });
  };
  live.add(syncCleanup);

  try {
    const userName = opts.userName ?? 'cltest';
    ensureUser(userName);
    const clientKeyPath = join(dir, 'client_ed25519');
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'clusterlab-test', '-f', clientKeyPath]);
    const clientPublicKey = readFileSync(`${clientKeyPath}.pub`, 'utf8').trim();
    const authorizedKeys = join(dir, 'authorized_keys');
    writeFileSync(authorizedKeys, `${clientPublicKey}\n`, { mode: 0o644 });
    const tag = randomBytes(3).toString('hex');
    const nodes: SshTestNode[] = [];
    const knownLines: string[] = [];
    const configBlocks: string[] = [];

    for (let i = 0; i < opts.count; i++) {
      const name = opts.names?.[i] ?? `n${i + 1}`;
      const ndir = join(dir, `node-${i}`);
      mkdirSync(ndir, { mode: 0o755 });
      const hostKeyPath = join(ndir, 'host_ed25519');
      run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', hostKeyPath]);
      const hostPublicKey = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
      let namespace: string | undefined;
      let vethHost: string | undefined;
      let vethNs: string | undefined;
      let sshdHost = '127.0.0.1';
      let sshdPort = 0;
      if (opts.namespaces) {
        namespace = `clt-${id}-${i}`;
        vethHost = `cl${tag}h${i}`;
        vethNs = `cl${tag}n${i}`;
        const base = pickSubnet();
        const [a, b, c, d] = base.split('.').map(Number) as [number, number, number, number];
        const hostAddr = `${a}.${b}.${c}.${d + 1}`;
        sshdHost = `${a}.${b}.${c}.${d + 2}`;
        const subnet = `${base}/30`;
        state.routes.push(subnet);
        state.namespaces.push(namespace);
        state.veths.push(vethHost);
        saveState();
        run('ip', ['route', 'add', 'blackhole', subnet, 'metric', '4000']);
        run('ip', ['netns', 'add', namespace]);
        const prevNs = opts.chain && i > 0 ? nodes[i - 1]!.namespace : undefined;
        if (prevNs) {
          // The near end lives in the previous node's namespace: nothing here can reach it.
          run('ip', ['link', 'add', vethHost, 'netns', prevNs, 'type', 'veth', 'peer', 'name', vethNs, 'netns', namespace]);
          run('ip', ['-n', prevNs, 'addr', 'add', `${hostAddr}/30`, 'dev', vethHost]);
          run('ip', ['-n', prevNs, 'link', 'set', vethHost, 'up']);
        } else {
          run('ip', ['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethNs, 'netns', namespace]);
          run('ip', ['addr', 'add', `${hostAddr}/30`, 'dev', vethHost]);
          run('ip', ['link', 'set', vethHost, 'up']);
        }
        run('ip', ['-n', namespace, 'addr', 'add', `${sshdHost}/30`, 'dev', vethNs]);
        run('ip', ['-n', namespace, 'link', 'set', vethNs, 'up']);
        run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
        sshdPort = 22;
      }
      const sshdConfig = join(ndir, 'sshd_config');
      const writeConfig = () =>
        writeFileSync(
          sshdConfig,
          [
            `ListenAddress ${sshdHost}`,
            `HostKey ${hostKeyPath}`,
            `PidFile ${join(ndir, 'sshd.pid')}`,
            `AuthorizedKeysFile ${authorizedKeys}`,
            'PasswordAuthentication no',
            'KbdInteractiveAuthentication no',
            'UsePAM no',
            'StrictModes yes',
            'PrintMotd no',
            'AllowTcpForwarding yes',
            'MaxStartups 100:30:200',
            'Subsystem sftp internal-sftp',
            ...(opts.sshdConfig ?? []),
            '',
          ].join('\n'),
        );
      writeConfig();

      let sshd: ChildProcess | undefined;
      let relayProc: ChildProcess | undefined;
      let relayPort = 0;
      const useRelay = opts.relay === true || opts.relayDelayMs !== undefined;
      const nsPrefix = (cmd: string[]): [string, string[]] => (namespace ? ['ip', ['netns', 'exec', namespace, ...cmd]] : [cmd[0]!, cmd.slice(1)]);
      const relayWaiters: Array<(line: string) => void> = [];

      const startSshd = async () => {
        for (let attempt = 0; ; attempt++) {
          if (!namespace) sshdPort = sshdPort || (await freePort());
          const [cmd, args] = nsPrefix([SSHD, '-D', '-e', '-f', sshdConfig, '-p', String(sshdPort)]);
          const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          p.stderr?.on('data', (c: Buffer) => (err += c.toString()));
          children.add(p);
          p.on('exit', () => children.delete(p));
          if (p.pid) state.pids.push(p.pid);
          saveState();
          try {
            await waitForSsh(sshdHost, sshdPort, 5000, opts.chain && i > 0 ? namespace : undefined);
            sshd = p;
            return;
          } catch (e) {
            p.kill('SIGKILL');
            if (!namespace && /Address already in use|Bind to port/.test(err) && attempt < 5) {
              sshdPort = 0;
              continue;
            }
            throw new Error(`harness: sshd for ${name} did not start: ${err.trim() || (e as Error).message}`);
          }
        }
      };
      const startRelay = async () => {
        const listenHost = sshdHost;
        const [cmd, args] = nsPrefix([relayCommand(), listenHost, String(namespace ? 2222 : relayPort), sshdHost, String(sshdPort), String(opts.relayDelayMs ?? 0)]);
        const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
        children.add(p);
        p.on('exit', () => children.delete(p));
        if (p.pid) state.pids.push(p.pid);
        saveState();
        relayPort = await new Promise<number>((resolve, reject) => {
          let buf = '';
          const t = setTimeout(() => reject(new Error(`harness: relay for ${name} did not start`)), 5000);
          p.stdout?.on('data', (c: Buffer) => {
            buf += c.toString();
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              const m = /^listening (\d+)/.exec(line);
              if (m) {
                clearTimeout(t);
                resolve(Number(m[1]));
              } else relayWaiters.shift()?.(line);
            }
          });
        });
        relayProc = p;
      };
      await startSshd();
      if (useRelay) await startRelay();
      const port = useRelay ? relayPort : sshdPort;
      const host = sshdHost;
      const knownHostsLine = `${port === 22 ? host : `[${host}]:${port}`} ${hostPublicKey}`;
      knownLines.push(knownHostsLine);
      configBlocks.push(`Host ${name}\n  HostName ${host}\n  Port ${port}\n  User ${userName}\n  IdentityFile ${clientKeyPath}\n  IdentitiesOnly yes\n`);

      const relayCmd = (line: string) =>
        new Promise<void>((resolve, reject) => {
          if (!relayProc?.stdin) return reject(new Error(`harness: node ${name} has no relay`));
          relayWaiters.push(() => resolve());
          relayProc.stdin.write(`${line}\n`);
        });
      const pids = (): number[] => {
        if (namespace) return run('ip', ['netns', 'pids', namespace], { allowFail: true }).split(/\s+/).filter(Boolean).map(Number);
        const roots = [sshd?.pid, relayProc?.pid].filter((p): p is number => typeof p === 'number' && alive(p));
        return [...roots, ...roots.flatMap((r) => descendants(r))];
      };
      let killed = false;
      const exited = (p: ChildProcess) =>
        p.exitCode !== null || p.signalCode !== null
          ? undefined
          : new Promise<void>((resolve) => {
              const t = setTimeout(resolve, 2000);
              p.once('exit', () => {
                clearTimeout(t);
                resolve();
              });
            });
      const signalAll = (sig: NodeJS.Signals) => {
        if (sig === 'SIGKILL') killed = true;
        for (const p of pids()) {
          try {
            process.kill(p, sig);
          } catch {
            // gone
          }
        }
      };
      const node: SshTestNode = {
        name,
        host,
        port,
        sshdHost,
        sshdPort,
        userName,
        keyPath: clientKeyPath,
        hostKeyPath,
        hostPublicKey,
        knownHostsLine,
        ...(namespace ? { namespace } : {}),
        ...(opts.chain && i > 0 ? { behind: nodes[i - 1]!.name } : {}),
        ...(useRelay
          ? {
              relay: {
                delay: (ms: number) => relayCmd(`delay ${ms}`),
                stall: () => relayCmd('stall'),
                resume: () => relayCmd('resume'),
                drop: () => relayCmd('drop'),
                pass: () => relayCmd('pass'),
                reset: () => relayCmd('reset'),
              },
            }
          : {}),
        pids,
        async start() {
          // After kill()/stop() the 'exit' event may not have been seen yet: wait for it.
          await Promise.all([sshd, relayProc].map((p) => (p && killed ? exited(p) : undefined)));
          killed = false;
          if (!sshd || sshd.exitCode !== null || sshd.signalCode !== null) await startSshd();
          if (useRelay && (!relayProc || relayProc.exitCode !== null || relayProc.signalCode !== null)) await startRelay();
        },
        async stop() {
          signalAll('SIGKILL');
          await new Promise((r) => setTimeout(r, 50));
        },
        kill() {
          signalAll('SIGKILL');
        },
        pause() {
          signalAll('SIGSTOP');
        },
        resume() {
          signalAll('SIGCONT');
        },
        linkDown() {
          if (!namespace || !vethNs) throw new Error(`harness: linkDown needs namespaces: true (node ${name})`);
          run('ip', ['-n', namespace, 'link', 'set', vethNs, 'down']);
        },
        linkUp() {
          if (!namespace || !vethNs) throw new Error(`harness: linkUp needs namespaces: true (node ${name})`);
          run('ip', ['-n', namespace, 'link', 'set', vethNs, 'up']);
        },
      };
      nodes.push(node);
    }

    const knownHostsPath = join(dir, 'known_hosts');
    writeFileSync(knownHostsPath, `${knownLines.join('\n')}\n`, { mode: 0o600 });
    const sshConfigPath = join(dir, 'ssh_config');
    writeFileSync(sshConfigPath, configBlocks.join('\n'), { mode: 0o600 });
    return {
      dir,
      userName,
      clientKeyPath,
      clientPublicKey,
      knownHostsPath,
      sshConfigPath,
      nodes,
      nodeConfig(n, extra = {}) {
        return nodeSchema.parse({ name: n.name, host: n.host, ssh_port: n.port, ssh_user: n.userName, ssh_key_path: n.keyPath, ram_gb: 8, ...extra });
      },
      poolOptions() {
        return { knownHostsPath, sshConfigPath, agentSocket: '' };
      },
      authorize(line) {
        writeFileSync(authorizedKeys, `${readFileSync(authorizedKeys, 'utf8')}${line.trim()}\n`);
      },
      async stop() {
        for (const n of nodes) {
          try {
            n.resume();
          } catch {
            // ignore
          }
        }
        syncCleanup();
        live.delete(syncCleanup);
      },
    };
  } catch (e) {
    syncCleanup();
    live.delete(syncCleanup);
    throw e;
  }
}
