import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineSplitter } from '../../../src/remote/logs/lines';

test('line splitter: any chunking gives the same complete lines and an exact offset', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => s.replace(/[\n\r]/g, '')), { maxLength: 40 }), fc.string({ maxLength: 5 }).map((s) => s.replace(/[\n\r]/g, '')), fc.array(fc.nat(20), { maxLength: 30 }), (lines, tail, cuts) => {
      const text = lines.map((l) => l + '\n').join('') + tail;
      const buf = Buffer.from(text, 'utf8');
      const s = new LineSplitter(100);
      const got: string[] = [];
      let pos = 0;
      for (const c of cuts) {
        const end = Math.min(buf.length, pos + c);
        got.push(...s.push(buf.subarray(pos, end)));
        pos = end;
      }
      got.push(...s.push(buf.subarray(pos)));
      assert.deepEqual(got, lines);
      assert.equal(s.offset, 100 + Buffer.byteLength(lines.map((l) => l + '\n').join('')));
      assert.equal(s.pendingBytes, Buffer.byteLength(tail));
      const last = s.flush();
      assert.equal(last, tail === '' ? null : tail);
      assert.equal(s.offset, 100 + buf.length);
    }),
    { numRuns: 300 },
  );
});

test('line splitter: CRLF is stripped, a multi-byte character split across chunks survives, reset drops the tail', () => {
  const s = new LineSplitter();
  const b = Buffer.from('héllo\r\nwörld\n');
  assert.deepEqual([...s.push(b.subarray(0, 2)), ...s.push(b.subarray(2, 9)), ...s.push(b.subarray(9))], ['héllo', 'wörld']);
  s.push(Buffer.from('partial'));
  s.reset(0);
  assert.equal(s.pendingBytes, 0);
  assert.deepEqual(s.push(Buffer.from('x\n')), ['x']);
  assert.equal(s.offset, 2);
});
