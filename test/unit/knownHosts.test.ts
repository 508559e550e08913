// known_hosts parsing and matching, checked against OpenSSH's own ssh-keygen where it can be.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkHostKey, fingerprintSHA256, formatKnownHostsLine, hashHostName, hostFieldMatches, keyTypeOfBlob, knownHostsName, knownKeyTypes, parseKnownHosts } from '../../src/core/ssh/knownHosts';

const dir = mkdtempSync(join(tmpdir(), 'cl-kh-'));
function newKey(type: 'ed25519' | 'ecdsa' | 'rsa', name: string): { line: string; blob: Buffer; pubFile: string } {
  const f = join(dir, name);
  spawnSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '1024'] : []), '-N', '', '-f', f]);
  const line = readFileSync(`${f}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64'), pubFile: `${f}.pub` };
}
const A = newKey('ed25519', 'a');
const B = newKey('ed25519', 'b');
const E = newKey('ecdsa', 'e');

describe('known_hosts', () => {
  it('names hosts as OpenSSH does', () => {
    assert.equal(knownHostsName('10.0.0.1', 22), '10.0.0.1');
    assert.equal(knownHostsName('127.0.0.1', 2201), '[127.0.0.1]:2201');
    assert.equal(formatKnownHostsLine('h', 2201, 'ssh-ed25519', 'AAAA'), '[h]:2201 ssh-ed25519 AAAA');
  });

  it('fingerprints match ssh-keygen -l', () => {
    const expected = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', A.pubFile], { encoding: 'utf8' }).stdout.split(/\s+/)[1];
    assert.equal(fingerprintSHA256(A.blob), expected);
    assert.equal(keyTypeOfBlob(A.blob), 'ssh-ed25519');
    assert.equal(keyTypeOfBlob(E.blob), 'ecdsa-sha2-nistp256');
    assert.equal(keyTypeOfBlob(Buffer.from([1])), 'unknown');
  });

  it('parses comments, markers, invalid lines and line numbers', () => {
    const f = parseKnownHosts('/kh', `# comment\n\nhost1 ${A.line} comment words\n@revoked * ${B.line}\n@cert-authority *.lan ${E.line}\n@bogus x y z\nonlyhost\n`);
    assert.deepEqual(
      f.entries.map((e) => [e.line, e.marker, e.hosts]),
      [
        [3, '', 'host1'],
        [4, '@revoked', '*'],
        [5, '@cert-authority', '*.lan'],
      ],
    );
    assert.deepEqual(f.invalid, [6, 7]);
  });

  it('matches hashed entries written by ssh-keygen -H', () => {
    const kh = join(dir, 'hashed');
    writeFileSync(kh, `[127.0.0.1]:2201 ${A.line}\nexample.org ${B.line}\n`);
    assert.equal(spawnSync('ssh-keygen', ['-H', '-f', kh]).status, 0);
    const f = parseKnownHosts(kh, readFileSync(kh, 'utf8'));
    assert.ok(f.entries.every((e) => e.hosts.startsWith('|1|')));
    assert.equal(checkHostKey([f], ['[127.0.0.1]:2201'], A.blob).status, 'known');
    assert.equal(checkHostKey([f], ['example.org'], B.blob).status, 'known');
    assert.equal(checkHostKey([f], ['127.0.0.1'], A.blob).status, 'unknown');
    const mine = hashHostName('[h]:22', Buffer.alloc(20, 9));
    assert.ok(hostFieldMatches(mine, '[h]:22'));
    assert.ok(!hostFieldMatches(mine, '[h]:23'));
  });

  it('patterns: lists, wildcards, negation, case', () => {
    assert.ok(hostFieldMatches('a,b,c', 'b'));
    assert.ok(hostFieldMatches('*.lan', 'PI1.lan'));
    assert.ok(hostFieldMatches('10.0.0.?', '10.0.0.7'));
    assert.ok(!hostFieldMatches('10.0.0.?', '10.0.0.17'));
    assert.ok(!hostFieldMatches('*.lan,!bad.lan', 'bad.lan'));
    assert.ok(hostFieldMatches('*.lan,!bad.lan', 'good.lan'));
    assert.ok(!hostFieldMatches('h', '[h]:2201'), 'a plain entry does not cover another port');
  });

  it('verdicts: known, unknown, changed (naming the line), revoked, several keys per host', () => {
    const f = parseKnownHosts('/kh', `# c\nother ${B.line}\n[h]:2201 ${E.line}\n[h]:2201 ${B.line}\n`);
    assert.equal(checkHostKey([f], ['[h]:2201'], E.blob).status, 'known');
    assert.equal(checkHostKey([f], ['nope'], A.blob).status, 'unknown');
    const changed = checkHostKey([f], ['[h]:2201'], A.blob);
    assert.equal(changed.status, 'changed');
    assert.equal(changed.status === 'changed' && changed.entry.line, 4, 'the line with the same key type');
    assert.equal(changed.status === 'changed' && changed.expectedFingerprint, fingerprintSHA256(B.blob));
    const revoked = parseKnownHosts('/kh', `[h]:2201 ${A.line}\n@revoked * ${A.line}\n`);
    const v = checkHostKey([revoked], ['[h]:2201'], A.blob);
    assert.equal(v.status, 'revoked');
    assert.equal(v.status === 'revoked' && v.entry.line, 2);
    assert.deepEqual(knownKeyTypes([f], ['[h]:2201']), ['ecdsa-sha2-nistp256', 'ssh-ed25519']);
  });

  it('@cert-authority lines are ignored and reported', () => {
    const f = parseKnownHosts('/kh', `@cert-authority * ${E.line}\n`);
    const v = checkHostKey([f], ['x'], A.blob);
    assert.equal(v.status, 'unknown');
    assert.equal(v.status === 'unknown' && v.ignoredCertAuthority.length, 1);
  });
});
