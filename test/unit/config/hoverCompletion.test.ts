// Hover docs and completion come from the schema descriptions (through the generated JSON Schema).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hoverAt } from '../../../src/core/config/hover';
import { completionsAt } from '../../../src/core/config/completion';
import { nodeSchema, NODE_TYPES } from '../../../src/core/config/schema';

const CLUSTER = 'cluster:\n  name: lab\nnodes:\n  - name: rpi1\n    host: rpi1\n    type: raspberry_pi\n    ram_gb: 8\n';

test('hover on a key shows its type, requiredness and description from the schema', () => {
  const h = hoverAt('cluster', CLUSTER, CLUSTER.indexOf('ram_gb') + 1);
  assert.ok(h);
  assert.ok(h.markdown.includes('**ram_gb**'));
  assert.ok(h.markdown.includes('(required)'));
  assert.ok(h.markdown.includes(nodeSchema.shape.ram_gb.description as string));
  assert.deepEqual(h.range, { start: { line: 6, character: 4 }, end: { line: 6, character: 10 } });
});

test('hover on an enum value lists the allowed values and the default', () => {
  const h = hoverAt('cluster', CLUSTER, CLUSTER.indexOf('raspberry_pi') + 3);
  assert.ok(h);
  for (const t of NODE_TYPES) assert.ok(h.markdown.includes(`\`${t}\``), t);
  assert.ok(h.markdown.includes('Default: `"generic"`'));
  assert.equal(hoverAt('cluster', CLUSTER, CLUSTER.indexOf('name'))?.markdown.split('\n')[0], '**name**: `string` (required)');
});

test('hover in experiment files, both forms, and nothing outside keys', () => {
  const e = 'instances:\n  - instance_id: a\n    ram_gb: 1\n    anti_affinity: [b]\n';
  assert.ok(hoverAt('experiment', e, e.indexOf('anti_affinity'))?.markdown.includes('must never share a node'));
  assert.ok(hoverAt('experiment', 'instance_id: a\ngpu_required: true\n', 17)?.markdown.includes('GPU node'));
  assert.equal(hoverAt('cluster', '\n\n', 1), undefined);
});

test('completion offers the keys not yet present, from the schema', () => {
  const text = CLUSTER + '    ';
  const labels = completionsAt('cluster', text, text.length).map((c) => c.label);
  assert.ok(labels.includes('gpu') && labels.includes('max_instances') && labels.includes('reserved_ram_gb'));
  assert.ok(!labels.includes('ram_gb') && !labels.includes('name') && !labels.includes('host'));
  assert.deepEqual(new Set(labels), new Set(Object.keys(nodeSchema.shape).filter((k) => !['name', 'host', 'type', 'ram_gb'].includes(k))));
});

test('completion in a new list item and at the top level', () => {
  const item = CLUSTER + '  - ';
  const labels = completionsAt('cluster', item, item.length).map((c) => c.label);
  assert.ok(labels.includes('name') && labels.includes('ram_gb'));
  const top = CLUSTER + '\n';
  assert.deepEqual(completionsAt('cluster', top, top.length).map((c) => c.label), ['placement', 'deploy', 'run', 'health', 'failover']);
  const empty = completionsAt('experiment', '', 0).map((c) => c.label);
  assert.ok(empty.includes('instances') && empty.includes('instance_id') && empty.includes('name'), empty.join());
  const exp = 'instances:\n  - instance_id: a\n    ';
  const el = completionsAt('experiment', exp, exp.length);
  assert.ok(el.some((c) => c.label === 'ram_gb' && c.detail?.includes('required')));
});

test('completion of enum and boolean values', () => {
  const t = 'cluster:\n  name: l\nnodes:\n  - name: a\n    type: ';
  assert.deepEqual(completionsAt('cluster', t, t.length).map((c) => c.label), [...NODE_TYPES]);
  const b = 'instance_id: a\ngpu_required: ';
  assert.deepEqual(completionsAt('experiment', b, b.length).map((c) => c.label), ['true', 'false']);
  const f = 'instances:\n  - instance_id: a\n    failover:\n      policy: ';
  assert.deepEqual(completionsAt('experiment', f, f.length).map((c) => c.label), ['none', 'restart', 'replace']);
});

test('hover and completion never throw on garbage, at any offset', () => {
  let seed = 3;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const alphabet = 'ab:- \n\t"\'[]{}#&*!|>%@`,?0123456789.';
  for (let k = 0; k < 400; k++) {
    let t = '';
    for (let j = Math.floor(rnd() * 60); j > 0; j--) t += alphabet[Math.floor(rnd() * alphabet.length)];
    const o = Math.floor(rnd() * (t.length + 1));
    for (const kind of ['cluster', 'experiment'] as const) {
      hoverAt(kind, t, o);
      assert.ok(Array.isArray(completionsAt(kind, t, o)));
    }
  }
});
