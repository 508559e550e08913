// Security through the CLI end to end, against a real sshd node and the local host node:
// - instance ids, a node's remote_work_dir, the workspace folder and an experiment file name full
//   of shell metacharacters go through validate, plan, deploy, run, status, logs and stop, and no
//   canary file is ever created (locally, on the node, or in any work dir);
// - a changed host key is refused by health, deploy and run, naming the known_hosts file and line;
// - an unknown host key is refused by deploy and run without consent, and known_hosts is untouched.
// (Host keys at the connection level and `health` with an unknown key: security.hostkeys.test.ts
// and test/cli/health.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeYaml, startSshNodes, type SshCluster } from '../harness/sshNodes';

const CLI = resolve(__dirname, '../../dist/cli.js');

describe('the CLI with hostile ids and paths, and with bad host keys', () => {
  let cluster: SshCluster;
  const root = mkdtempSync(join(tmpdir(), 'cl-sec-cli-'));
  chmodSync(root, 0o755);
  // World-writable, so the node's unprivileged user could create the canary if anything ran.
  const canaryDir = join(root, 'canary');
  mkdirSync(canaryDir, { mode: 0o777 });
  chmodSync(canaryDir, 0o777);
  const ABS = join(canaryDir, 'CANARY');
  // Names cannot hold "/": these create CANARY_REL in whatever directory a shell would run them.
  const ws = join(root, `ws $(touch CANARY_REL) ; 'q' \`touch CANARY_REL\``);
  const remoteDir = `/tmp/cltest-home/inj-${process.pid}-${randomBytes(3).toString('hex')} $(touch ${ABS}) ; '\`touch ${ABS}\`'\n;touch ${ABS}`;
  const expFile = `e $(touch CANARY_REL) ; 'x' \`touch CANARY_REL\`.yaml`;
  const ids = [`a$(touch ${ABS})`, `b\`touch ${ABS}\``, `c; touch ${ABS}`, `d'"; touch ${ABS}; echo '`, `e && touch ${ABS} #`, `f | touch ${ABS}`];

  const cli = (args: string[], extra: string[] = []) => {
    const r = spawnSync(process.execPath, [CLI, ...args, ...extra], { cwd: ws, encoding: 'utf8', env: { ...process.env, SSH_AUTH_SOCK: '' }, timeout: 90_000 });
    return { code: r.status, out: r.stdout, err: `${r.stderr}${r.signal ? `\n(killed by ${r.signal})` : ''}` };
  };
  const trusted = () => ['--known-hosts', cluster.knownHostsPath, '--ssh-config', join(root, 'empty_ssh_config')];

  /** Every CANARY file anywhere we can look. */
  const canaries = (): string[] => {
    const found: string[] = [];
    const walk = (dir: string, depth = 0) => {
      if (depth > 8 || !existsSync(dir)) return;
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (name === 'CANARY' || name === 'CANARY_REL') found.push(p);
        if (statSync(p).isDirectory() && name !== 'node_modules') walk(p, depth + 1);
      }
    };
    walk(root);
    walk('/tmp/cltest-home');
    if (existsSync(join(process.cwd(), 'CANARY_REL'))) found.push(join(process.cwd(), 'CANARY_REL'));
    return found;
  };

  before(async () => {
    cluster = await startSshNodes({ count: 1 });
    const n = cluster.nodes[0]!;
    mkdirSync(join(ws, 'experiments'), { recursive: true });
    writeFileSync(join(root, 'empty_ssh_config'), '');
    writeFileSync(
      join(ws, 'cluster.yaml'),
      [
        'cluster:',
        '  name: hostile',
        'nodes:',
        ...nodeYaml(n, { remote_work_dir: remoteDir, ram_gb: 4, max_instances: 3 }),
        '  - name: host',
        '    type: host',
        '    ram_gb: 4',
        '    max_instances: 3',
        'run:',
        '  command: "printf \'id=[%s] cfg=[%s] dir=[%s]\\\\n\' {instance_id} {experiment_config_path} {remote_work_dir}"',
        '',
      ].join('\n'),
    );
    writeFileSync(join(ws, 'experiments', expFile), `instances:\n${ids.map((id) => `  - instance_id: ${JSON.stringify(id)}\n    ram_gb: 0.1\n`).join('')}`);
    writeFileSync(join(ws, 'experiments', 'simple.yaml'), 'instances:\n  - instance_id: s1\n    ram_gb: 0.1\n');
  });
  after(async () => {
    if (cluster) spawnSync(process.execPath, [CLI, 'stop', '--all', '--grace', '0', ...trusted()], { cwd: ws });
    await cluster?.stop();
    const remoteBase = remoteDir.slice(0, remoteDir.indexOf(' '));
    for (const d of readdirSync('/tmp/cltest-home')) if (join('/tmp/cltest-home', d).startsWith(remoteBase)) rmSync(join('/tmp/cltest-home', d), { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it('hostile ids, work dir, workspace folder and experiment file name inject nothing', () => {
    const exp = join('experiments', expFile);
    const v = cli(['validate', '--experiments', exp]);
    assert.equal(v.code, 0, v.out + v.err);
    const p = cli(['plan', '--experiments', exp]);
    assert.equal(p.code, 0, p.out + p.err);
    const d = cli(['deploy'], trusted());
    assert.equal(d.code, 0, d.out + d.err);
    const r = cli(['run', '--experiments', exp, '--auto-place', '--follow'], trusted());
    assert.equal(r.code, 0, r.out + r.err);
    const nodesUsed = new Set<string>();
    for (const id of ids) {
      // The command got every value as one plain argument, byte for byte.
      const line = r.out.split('\n').find((l) => l.includes(`id=[${id}]`));
      assert.ok(line, `the run of ${JSON.stringify(id)} printed its id verbatim:\n${r.out}`);
      assert.ok(line.includes(`cfg=[experiments/${expFile}]`), line);
      const node = /^\[.*@(n1|host)\]/.exec(line)?.[1];
      assert.ok(node, line);
      nodesUsed.add(node);
      if (node === 'n1') assert.ok(line.includes(`dir=[${remoteDir.split('\n')[0]}`), line);
    }
    assert.deepEqual([...nodesUsed].sort(), ['host', 'n1'], 'both nodes ran hostile instances');
    const s = cli(['status', '--json'], trusted());
    assert.equal(s.code, 0, s.err);
    const runs = (JSON.parse(s.out) as { runs: Array<{ instance_id: string; status: string; exit_code: number | null }> }).runs;
    for (const id of ids) assert.deepEqual(runs.filter((x) => x.instance_id === id).map((x) => [x.status, x.exit_code]), [['exited', 0]], id);
    for (const id of ids) {
      const l = cli(['logs', id], trusted());
      assert.equal(l.code, 0, l.err);
      assert.ok(l.out.includes(`id=[${id}]`), l.out);
    }
    const st = cli(['stop', ids[0]!], trusted());
    assert.ok(st.code === 0 || st.code === 1, st.out + st.err);
    const f = cli(['logs', '--fetch', join(root, `fetched $(touch CANARY_REL)`)], trusted());
    assert.equal(f.code, 0, f.out + f.err);
    assert.deepEqual(canaries(), []);
    assert.equal(existsSync(ABS), false);
  });

  it('a changed host key is refused by health, deploy and run, naming the known_hosts line', () => {
    const n = cluster.nodes[0]!;
    const other = join(root, 'other_host_key');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const otherKey = readFileSync(`${other}.pub`, 'utf8').split(/\s+/).slice(0, 2).join(' ');
    const kh = join(root, 'known_hosts_changed');
    const text = `# first line\n[127.0.0.1]:${n.port} ${otherKey}\n`;
    writeFileSync(kh, text);
    const flags = ['--known-hosts', kh, '--ssh-config', join(root, 'empty_ssh_config'), '--accept-new-host-keys'];
    const h = cli(['health', '--json', '--node', 'n1'], flags);
    assert.equal(h.code, 1, h.out + h.err);
    const node = (JSON.parse(h.out) as { nodes: Array<{ status: string; reason: string }> }).nodes[0]!;
    assert.equal(node.status, 'unavailable');
    assert.ok(node.reason.includes(`known_hosts line 2: ${kh}`), node.reason);
    const d = cli(['deploy', '--node', 'n1'], flags);
    assert.equal(d.code, 1, d.out + d.err);
    assert.ok((d.out + d.err).includes(`known_hosts line 2: ${kh}`), d.out + d.err);
    const before = readdirSync(join(ws, '.clusterlab', 'runs')).length;
    const r = cli(['run', '--experiments', 'experiments/simple.yaml', '--placement', 's1:n1'], flags);
    assert.equal(r.code, 1, r.out + r.err);
    assert.ok((r.out + r.err).includes(`known_hosts line 2: ${kh}`), r.out + r.err);
    assert.equal(readdirSync(join(ws, '.clusterlab', 'runs')).length, before, 'nothing started');
    assert.equal(readFileSync(kh, 'utf8'), text, 'known_hosts untouched, even with --accept-new-host-keys');
  });

  it('an unknown host key is refused by deploy and run without consent', () => {
    const kh = join(root, 'known_hosts_empty');
    writeFileSync(kh, '');
    const flags = ['--known-hosts', kh, '--ssh-config', join(root, 'empty_ssh_config')];
    const d = cli(['deploy', '--node', 'n1'], flags);
    assert.equal(d.code, 1, d.out + d.err);
    assert.match(d.out + d.err, /n1.*host key unknown.*--accept-new-host-keys/s);
    const before = readdirSync(join(ws, '.clusterlab', 'runs')).length;
    const r = cli(['run', '--experiments', 'experiments/simple.yaml', '--placement', 's1:n1'], flags);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out + r.err, /host key unknown/);
    assert.equal(readdirSync(join(ws, '.clusterlab', 'runs')).length, before, 'nothing started');
    assert.equal(readFileSync(kh, 'utf8'), '', 'nothing recorded without consent');
  });
});
