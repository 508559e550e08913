// Every config rule, asserting the message and the position (0-based in the API).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateClusterText, validateExperimentText, validateWorkspace } from '../../../src/core/config/validate';
import { formatDiagnostic, type Diagnostic } from '../../../src/core/config/diagnostics';

const CLUSTER = `cluster:
  name: lab
nodes:
  - name: jetson
    host: 192.168.1.100
    type: jetson_orin
    ram_gb: 64
    gpu: true
    gpu_memory_gb: 64
    max_instances: 4
    reserved_ram_gb: 8
  - name: rpi1
    host: rpi1
    type: raspberry_pi
    ram_gb: 8
    reserved_ram_gb: 1
`;

function only(ds: Diagnostic[], severity?: 'error' | 'warning'): Diagnostic {
  const list = severity ? ds.filter((d) => d.severity === severity) : ds;
  assert.equal(list.length, 1, `expected one diagnostic, got:\n${ds.map((d) => formatDiagnostic(d)).join('\n')}`);
  return list[0] as Diagnostic;
}

/** Asserts a diagnostic at 1-based line:col whose message contains `text`. */
function at(d: Diagnostic, line: number, col: number, text: string, severity: 'error' | 'warning' = 'error'): void {
  assert.equal(d.severity, severity, formatDiagnostic(d));
  assert.ok(d.message.includes(text), `message "${d.message}" lacks "${text}"`);
  assert.deepEqual([d.range.start.line + 1, d.range.start.character + 1], [line, col], formatDiagnostic(d));
}

const cluster = (text: string) => validateClusterText({ file: 'cluster.yaml', text });
const ws = (exp: string, clusterText = CLUSTER) => validateWorkspace({ file: 'cluster.yaml', text: clusterText }, [{ file: 'e.yaml', text: exp }]);

test('the seed cluster validates with defaults filled', () => {
  const r = cluster(CLUSTER);
  assert.deepEqual(r.diagnostics, []);
  const rpi = r.config?.nodes[1];
  assert.equal(rpi?.gpu, false);
  assert.equal(rpi?.max_instances, 1);
  assert.equal(rpi?.type, 'raspberry_pi');
  assert.equal(r.config?.nodes[0]?.ssh_port, undefined);
});

test('type: host needs no SSH fields and maintenance is allowed', () => {
  const r = cluster('cluster:\n  name: l\nnodes:\n  - name: host\n    type: host\n    ram_gb: 16\n    status: maintenance\n');
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.config?.nodes[0]?.status, 'maintenance');
});

test('ram_gb zero and negative: positioned on the value, with what to do', () => {
  at(only(cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n    ram_gb: 0\n').diagnostics), 6, 13, "ram_gb of node a must be greater than 0 (it is 0); set the node's total RAM in GB, e.g. ram_gb: 8");
  at(only(cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n    ram_gb: -2\n').diagnostics), 6, 13, 'must be greater than 0 (it is -2)');
});

test('wrong types name the expected type and the value found', () => {
  at(only(cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n    ram_gb: "8"\n').diagnostics), 6, 13, 'ram_gb of node a must be a number, not the text "8"');
  at(only(cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n    ram_gb: 8\n    gpu: 1\n').diagnostics), 7, 10, 'gpu of node a must be true or false, not the number 1');
  at(only(cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n    ram_gb: 8\n    cpu_cores: 2.5\n').diagnostics), 7, 16, 'cpu_cores of node a must be a whole number');
  at(only(cluster('cluster: lab\nnodes: []\n').diagnostics), 1, 10, 'cluster must be a mapping of keys, not the text "lab"');
});

test('enum values suggest the closest allowed value', () => {
  at(only(cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n    type: jetson\n    ram_gb: 8\n').diagnostics), 6, 11, 'must be one of jetson_orin, raspberry_pi, host, generic');
});

test('a missing required key points at the parent key or the list item first key', () => {
  at(only(cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n').diagnostics), 4, 5, 'missing required key ram_gb of node a; add ram_gb: 8');
  at(only(cluster('cluster:\n  description: d\nnodes: []\n').diagnostics), 1, 1, 'missing required key cluster.name; add name: my-cluster under cluster:');
  at(only(cluster('nodes: []\n').diagnostics), 1, 1, 'missing required key cluster');
});

test('duplicate node names point at the duplicate', () => {
  const d = only(cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n    ram_gb: 8\n  - name: a\n    host: g\n    ram_gb: 8\n').diagnostics);
  at(d, 7, 11, 'duplicate node name "a": node 1 on line 4 has the same name');
  assert.equal(d.code, 'duplicate-node');
});

test('checks across fields still run on a node with a bad value of its own', () => {
  const ds = cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n    ram_gb: 8\n  - name: a\n    host: g\n    ram_gb: eight\n    gpu_memory_gb: 4\n').diagnostics;
  assert.equal(ds.length, 3, ds.map((d) => formatDiagnostic(d)).join('\n'));
  at(ds.find((d) => d.code === 'duplicate-node')!, 7, 11, 'duplicate node name "a"');
  at(ds.find((d) => d.code === 'gpu-memory-without-gpu')!, 10, 5, 'gpu_memory_gb is set on node a, which has no GPU');
});

test('references of an instance with a bad value of its own are still checked', () => {
  const ds = ws('instances:\n  - instance_id: x\n    ram_gb: -1\n    preferred_node: nope\n    affinity: [ghost]\n').diagnostics;
  at(ds.find((d) => d.code === 'unknown-node')!, 4, 21, 'preferred_node of instance x names nope');
  at(ds.find((d) => d.code === 'unknown-instance')!, 5, 16, 'affinity of instance x names ghost');
});

test('reserved_ram_gb must be below ram_gb', () => {
  at(only(cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n    ram_gb: 8\n    reserved_ram_gb: 9\n').diagnostics), 7, 22, 'reserved_ram_gb of node a (9 GB) must be less than its ram_gb (8 GB)');
});

test('gpu_memory_gb on a node without gpu', () => {
  at(only(cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n    ram_gb: 8\n    gpu_memory_gb: 8\n').diagnostics), 7, 5, 'gpu_memory_gb is set on node a, which has no GPU; add gpu: true');
});

test('a non-host node without host', () => {
  at(only(cluster('cluster:\n  name: l\nnodes:\n  - name: rpi9\n    ram_gb: 8\n').diagnostics), 4, 5, 'node rpi9 has no host; add host:');
});

test('unknown keys are warnings with a suggestion, and the config still loads', () => {
  const r = cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n    ram_gb: 8\n    ram_gbb: 9\n');
  at(only(r.diagnostics), 7, 5, 'unknown key "ram_gbb" in node a; did you mean ram_gb?', 'warning');
  assert.equal(r.config?.nodes[0]?.ram_gb, 8);
  at(only(cluster('cluster:\n  name: l\n  colour: red\nnodes:\n  - name: h\n    type: host\n    ram_gb: 4\n').diagnostics), 3, 3, 'Valid keys here: name, description', 'warning');
  at(only(cluster('cluster:\n  name: l\nnodes: []\n').diagnostics), 3, 1, 'the cluster has no nodes', 'warning');
});

test('malformed YAML: tabs, indentation, duplicate keys, unclosed quotes', () => {
  at(only(cluster('cluster:\n\tname: l\n').diagnostics), 2, 1, 'tabs are not allowed');
  at(only(cluster('cluster:\n  name: l\n    x: 1\nnodes: []\n').diagnostics), 2, 9, 'check the indentation of this line and the lines below it');
  at(only(cluster('cluster:\n  name: l\n description: d\nnodes: []\n').diagnostics), 3, 1, 'keys of the same mapping start at the same column');
  at(only(cluster('cluster:\n  name: l\n  name: m\nnodes: []\n').diagnostics), 3, 3, 'duplicate key "name"');
  assert.match(only(cluster("cluster:\n  name: 'l\nnodes: []\n").diagnostics).message, /quote/);
});

test('empty and non-mapping files', () => {
  at(only(cluster('').diagnostics), 1, 1, 'the file is empty');
  at(only(cluster('   \n# only a comment\n').diagnostics), 1, 1, 'the file is empty');
  at(only(cluster('\n\n- a\n').diagnostics), 3, 1, 'must be a mapping of keys, not a list');
  at(only(validateExperimentText({ file: 'e.json', text: '[1, 2]' }).diagnostics), 1, 1, 'the top level of an experiment file must be a mapping');
});

test('JSON files: positions and duplicate keys', () => {
  at(only(cluster('{\n  "cluster": {"name": "l"},\n  "nodes": [{"name": "a", "host": "h", "ram_gb": 0}]\n}').diagnostics), 3, 50, 'ram_gb of node a must be greater than 0');
  at(only(validateExperimentText({ file: 'e.json', text: '{"instance_id": "a", "ram_gb": 1, "instance_id": "b"}' }).diagnostics), 1, 35, 'duplicate key "instance_id"');
});

test('an experiment file holds either instances: or one instance', () => {
  const a = validateExperimentText({ file: 'a.yaml', text: 'instance_id: solo\nram_gb: 1\n' });
  assert.deepEqual(a.diagnostics, []);
  assert.equal(a.instances?.[0]?.instance_id, 'solo');
  const b = validateExperimentText({ file: 'b.yaml', text: 'name: x\ninstances:\n  - instance_id: p\n    ram_gb: 1\n  - instance_id: q\n    ram_gb: 2\n' });
  assert.deepEqual(b.instances?.map((i) => i.instance_id), ['p', 'q']);
});

test('duplicate instance ids across files point at the duplicate', () => {
  const r = validateWorkspace({ file: 'cluster.yaml', text: CLUSTER }, [
    { file: 'a.yaml', text: 'instance_id: x\nram_gb: 1\n' },
    { file: 'b.yaml', text: 'instances:\n  - instance_id: x\n    ram_gb: 1\n' },
  ]);
  const d = only(r.diagnostics);
  assert.equal(d.file, 'b.yaml');
  at(d, 2, 18, 'duplicate instance_id "x": already defined at a.yaml:1:14');
  assert.equal(r.model, undefined);
});

test('affinity, anti_affinity and preferred_node must name existing ids and nodes', () => {
  at(only(ws('instances:\n  - instance_id: a\n    ram_gb: 1\n    affinity: [b]\n').diagnostics), 4, 16, 'affinity of instance a names b, which is not an instance');
  at(only(ws('instances:\n  - instance_id: a\n    ram_gb: 1\n    anti_affinity:\n      - ghost\n').diagnostics), 5, 9, 'anti_affinity of instance a names ghost');
  at(only(ws('instance_id: a\nram_gb: 1\npreferred_node: rpi2\n').diagnostics), 3, 17, 'preferred_node of instance a names rpi2, which is not a node in cluster.yaml; did you mean rpi1?');
});

test('an id in both affinity and anti_affinity', () => {
  const r = ws('instances:\n  - instance_id: a\n    ram_gb: 1\n  - instance_id: b\n    ram_gb: 1\n    affinity: [a]\n    anti_affinity: [a]\n');
  at(only(r.diagnostics), 6, 16, 'instance b lists a in both affinity and anti_affinity');
});

test('an instance no node can hold is a warning that says why', () => {
  const r = ws('instance_id: split_brain_A\nram_gb: 80\n');
  at(only(r.diagnostics), 2, 9, 'no node can hold split_brain_A: needs 80 GB; the largest node, jetson, has 56 GB after its 8 GB reserve', 'warning');
  assert.ok(r.model, 'warnings keep the model');
  const noGpu = ws('instance_id: g\nram_gb: 1\ngpu_required: true\n', 'cluster:\n  name: l\nnodes:\n  - name: h\n    type: host\n    ram_gb: 8\n');
  at(only(noGpu.diagnostics), 3, 15, 'no node can hold g: it needs a GPU (gpu_required: true) and no node has one', 'warning');
});

test('failover merges cluster < file < instance, with defaults', () => {
  const clusterText = CLUSTER + 'failover:\n  policy: restart\n  max_restarts: 7\n  max_restart: 2\n';
  const r = validateWorkspace({ file: 'cluster.yaml', text: clusterText }, [
    { file: 'e.yaml', text: 'failover:\n  backoff_seconds: 1\ninstances:\n  - instance_id: a\n    ram_gb: 1\n  - instance_id: b\n    ram_gb: 1\n    failover:\n      policy: replace\n' },
    { file: 'f.yaml', text: 'instance_id: c\nram_gb: 1\n' },
  ]);
  assert.deepEqual(r.diagnostics.map((d) => d.code), ['unknown-key']);
  const by = Object.fromEntries((r.model?.instances ?? []).map((i) => [i.instance_id, i.failover]));
  assert.deepEqual(by.a, { policy: 'restart', max_restarts: 7, backoff_seconds: 1 });
  assert.deepEqual(by.b, { policy: 'replace', max_restarts: 7, backoff_seconds: 1 });
  assert.deepEqual(by.c, { policy: 'restart', max_restarts: 7, backoff_seconds: 5 });
  assert.equal(r.model?.instanceSource.c, 'f.yaml');
});

test('one bad node does not hide the checks of the others', () => {
  const r = cluster('cluster:\n  name: l\nnodes:\n  - name: a\n    host: h\n    ram_gb: x\n  - name: b\n    host: h\n    ram_gb: 4\n    reserved_ram_gb: 4\n');
  assert.equal(r.diagnostics.length, 2);
  assert.ok(r.diagnostics.some((d) => d.message.includes('reserved_ram_gb of node b')));
});

test('list entries that are not mappings, and unknown keys inside nested sections', () => {
  at(only(cluster('cluster:\n  name: l\nnodes:\n  - jetson\n').diagnostics), 4, 5, 'nodes entry 1 must be a mapping of keys, not the text "jetson"; write each entry as "- name: …"');
  const r = ws('instances:\n  - instance_id: a\n    ram_gb: 1\n    failover:\n      max_restart: 3\n');
  at(only(r.diagnostics), 5, 7, 'unknown key "max_restart" in failover of instance a; did you mean max_restarts?', 'warning');
});

test('a NUL byte is an error at its position (editor path too)', () => {
  at(only(cluster('cluster:\n  name: a\u0000b\nnodes: []\n').diagnostics), 2, 10, 'NUL byte');
});
