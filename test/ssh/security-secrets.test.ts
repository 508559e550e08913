// Secrets never reach a log, a record or a channel: the CLI runs health, deploy, run, status and
// logs against a real sshd node with an encrypted key whose passphrase comes from
// CLUSTERLAB_SSH_PASSPHRASE (with CLUSTERLAB_DEBUG=1, and once with a wrong passphrase), plus the
// local host node. Everything printed, every file under .clusterlab/, the fetched logs and every
// file in the node's work dir are searched for the passphrases and for private-key material.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeYaml, startSshNodes, type SshCluster } from '../harness/sshNodes';

const CLI = resolve(__dirname, '../../dist/cli.js');
const PASSPHRASE = `Clp-Secret-${randomBytes(6).toString('hex')}-passphrase`;
const WRONG = `Clp-Wrong-${randomBytes(6).toString('hex')}-passphrase`;

describe('secrets never appear in any output, record or log', () => {
  let cluster: SshCluster;
  const root = mkdtempSync(join(tmpdir(), 'cl-secrets-'));
  const ws = join(root, 'ws');
  const keyDir = join(root, 'keys');
  const keyPath = join(keyDir, 'id_ed25519_enc');
  const remoteDir = `/tmp/cltest-home/cl-secrets-${process.pid}-${randomBytes(3).toString('hex')}`;
  let keyBody: string[] = [];
  /** Everything captured: command outputs and file contents, with where they came from. */
  const captured: Array<{ where: string; text: string }> = [];

  const cli = (args: string[], env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [CLI, ...args, '--known-hosts', cluster.knownHostsPath, '--ssh-config', join(root, 'empty_ssh_config')], {
      cwd: ws,
      encoding: 'utf8',
      env: { ...process.env, SSH_AUTH_SOCK: '', CLUSTERLAB_DEBUG: '1', ...env },
      timeout: 90_000,
    });
    captured.push({ where: `stdout of clusterlab ${args.join(' ')}`, text: r.stdout }, { where: `stderr of clusterlab ${args.join(' ')}`, text: r.stderr });
    return { code: r.status, out: r.stdout, err: `${r.stderr}${r.signal ? `\n(killed by ${r.signal})` : ''}${r.error ? `\n(${r.error.message})` : ''}` };
  };

  const walk = (dir: string, label: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, `${label}/${name}`);
      else if (st.isFile() && st.size < 20 * 1024 * 1024) captured.push({ where: `${label}/${name}`, text: readFileSync(p, 'latin1') });
    }
  };

  before(async () => {
    cluster = await startSshNodes({ count: 1 });
    const n = cluster.nodes[0]!;
    mkdirSync(keyDir, { recursive: true });
    mkdirSync(join(ws, 'experiments'), { recursive: true });
    writeFileSync(join(root, 'empty_ssh_config'), '');
    const kg = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-C', 'secrets-test', '-f', keyPath], { encoding: 'utf8' });
    assert.equal(kg.status, 0, kg.stderr);
    chmodSync(keyPath, 0o600);
    cluster.authorize(readFileSync(`${keyPath}.pub`, 'utf8').trim());
    keyBody = readFileSync(keyPath, 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'));
    writeFileSync(
      join(ws, 'cluster.yaml'),
      [
        'cluster:',
        '  name: secrets',
        'nodes:',
        ...nodeYaml(n, { ssh_key_path: keyPath, remote_work_dir: remoteDir, ram_gb: 1 }),
        '  - name: host',
        '    type: host',
        '    ram_gb: 1',
        'run:',
        // Prints the whole environment of the experiment into its log.
        '  command: "env | sort; echo done {instance_id}"',
        '',
      ].join('\n'),
    );
    writeFileSync(join(ws, 'experiments', 'e.yaml'), 'instances:\n  - instance_id: sa\n    ram_gb: 0.25\n  - instance_id: sb\n    ram_gb: 0.25\n');
    writeFileSync(join(ws, 'payload.txt'), 'deployed\n');
  });
  after(async () => {
    spawnSync(process.execPath, [CLI, 'stop', '--all', '--grace', '0', '--known-hosts', cluster?.knownHostsPath ?? '/dev/null'], { cwd: ws, env: { ...process.env, CLUSTERLAB_SSH_PASSPHRASE: PASSPHRASE } });
    await cluster?.stop();
    rmSync(remoteDir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });

  it('health, deploy, run, status and logs work with the passphrase from the environment', () => {
    const env = { CLUSTERLAB_SSH_PASSPHRASE: PASSPHRASE };
    const h = cli(['health', '--json'], env);
    assert.equal(h.code, 0, h.out + h.err);
    const d = cli(['deploy'], env);
    assert.equal(d.code, 0, d.out + d.err);
    const r = cli(['run', '--experiments', 'experiments/e.yaml', '--placement', 'sa:n1,sb:host', '--follow'], env);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /\[sa@n1\] done sa/);
    assert.match(r.out, /\[sb@host\] done sb/);
    const s = cli(['status', '--json'], env);
    assert.equal(s.code, 0, s.err);
    for (const id of ['sa', 'sb']) {
      const l = cli(['logs', id], env);
      assert.equal(l.code, 0, l.err);
      assert.match(l.out, new RegExp(`CLUSTERLAB_INSTANCE_ID=${id}`), 'the experiment saw its own environment');
    }
    const f = cli(['logs', '--fetch', join(root, 'fetched')], env);
    assert.equal(f.code, 0, f.out + f.err);
  });

  it('a wrong passphrase is refused without echoing it', () => {
    const h = cli(['health', '--json'], { CLUSTERLAB_SSH_PASSPHRASE: WRONG });
    assert.equal(h.code, 1, h.out + h.err);
    const n1 = (JSON.parse(h.out) as { nodes: Array<{ name: string; status: string; reason?: string }> }).nodes.find((x) => x.name === 'n1')!;
    assert.equal(n1.status, 'unavailable');
    assert.match(n1.reason ?? '', /passphrase/i);
    const d = cli(['deploy', '--node', 'n1'], { CLUSTERLAB_SSH_PASSPHRASE: WRONG });
    assert.equal(d.code, 1, d.out + d.err);
    assert.match(d.out + d.err, /n1.*passphrase|passphrase.*n1/i);
  });

  it('run records keep no passphrase in env', () => {
    const dir = join(ws, '.clusterlab', 'runs');
    const recs = readdirSync(dir).filter((x) => x.endsWith('.json'));
    assert.ok(recs.length >= 2);
    for (const name of recs) {
      const rec = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { env: Record<string, string> };
      assert.equal(rec.env.CLUSTERLAB_SSH_PASSPHRASE, undefined, name);
      for (const v of Object.values(rec.env)) assert.ok(!v.includes(PASSPHRASE), name);
    }
  });

  it('no output, workspace file, fetched log or file on the node holds the passphrase or the private key', () => {
    walk(join(ws, '.clusterlab'), '.clusterlab');
    walk(join(ws, 'logs'), 'logs');
    walk(join(root, 'fetched'), 'fetched');
    walk(remoteDir, `n1:${remoteDir}`);
    const files = captured.filter((c) => !c.where.startsWith('std'));
    assert.ok(files.some((c) => c.where.includes('/env')), 'the run dirs (with their env files) were searched');
    assert.ok(files.some((c) => c.where.startsWith('n1:') && c.where.endsWith('.log')), "the node's logs were searched");
    assert.ok(captured.some((c) => c.text.includes('CLUSTERLAB_RUN_ID=')), 'the experiments printed their environment');
    assert.ok(keyBody.length >= 3);
    const needles = [PASSPHRASE, WRONG, 'PRIVATE KEY', ...keyBody.slice(1, -1)];
    const leaks = captured.flatMap((c) => needles.filter((s) => c.text.includes(s)).map((s) => `${c.where}: ${s === PASSPHRASE ? 'the passphrase' : s === WRONG ? 'the wrong passphrase' : `key material ${s.slice(0, 12)}…`}`));
    assert.deepEqual(leaks, []);
  });
});
