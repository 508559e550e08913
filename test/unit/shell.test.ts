// The quoting helper, checked against a real POSIX shell: every hostile value must come back
// byte for byte, and nothing in it may run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { envAssignments, q, raw, sh } from '../../src/core/shell';
import { hostileValues } from '../harness/hostile';

const dir = mkdtempSync(join(tmpdir(), 'cl-shell-'));
const canary = join(dir, 'canary');

const HOSTILE = hostileValues(canary);

function roundTrip(cmd: string, shell = 'sh'): Buffer {
  const r = spawnSync(shell, ['-c', cmd]);
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout;
}

describe('q / sh quoting through a real sh -c', () => {
  for (const v of HOSTILE) {
    it(`round-trips ${JSON.stringify(v)}`, () => {
      assert.deepEqual(roundTrip(sh`printf %s ${v}`), Buffer.from(v));
      assert.deepEqual(roundTrip(`printf %s ${q(v)}`, 'bash'), Buffer.from(v));
      assert.equal(existsSync(canary), false, 'canary must never be created');
    });
  }

  it('arrays become several quoted words', () => {
    assert.deepEqual(roundTrip(sh`printf '[%s]' ${HOSTILE}`), Buffer.from(HOSTILE.map((v) => `[${v}]`).join('')));
    assert.equal(existsSync(canary), false);
  });

  it('raw fragments are inserted as they are, numbers are quoted values', () => {
    assert.equal(sh`a ${raw('| b')} ${3}`, 'a | b 3');
    assert.deepEqual(roundTrip(sh`x=${'v a l'}; printf %s "$x"`), Buffer.from('v a l'));
  });

  it('envAssignments quotes values and rejects bad names', () => {
    const env = { A: "it's $(x)", B_2: '', C: 'a\nb' };
    assert.deepEqual(roundTrip(`${envAssignments(env)} sh -c 'printf "%s|%s|%s" "$A" "$B_2" "$C"'`), Buffer.from("it's $(x)||a\nb"));
    assert.throws(() => envAssignments({ 'BAD;NAME': 'x' }), /invalid environment variable name/);
    assert.throws(() => envAssignments({ '1X': 'x' }), /invalid environment variable name/);
  });

  it('any string round-trips (property test)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')), (v) => {
        assert.deepEqual(roundTrip(sh`printf %s ${v}`), Buffer.from(v));
      }),
      { numRuns: 150 },
    );
    assert.equal(existsSync(canary), false);
  });
});
