// The config reference (docs/config-reference.md), rendered from the generated JSON Schemas so it
// never drifts from the zod schema. Written by scripts/gen-config-docs.ts; a unit test checks it.
import { clusterJsonSchema, experimentJsonSchema, objectBranches, arrayItems, branches, typeLabel, type JSONSchema } from './jsonSchema';

interface Row {
  key: string;
  type: string;
  required: boolean;
  default?: unknown;
  description: string;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function rows(obj: JSONSchema, prefix: string, out: Row[]): void {
  const required = new Set(obj.required ?? []);
  for (const [key, s] of Object.entries(obj.properties ?? {})) {
    const path = `${prefix}${key}`;
    const items = arrayItems(s);
    const itemObj = items ? objectBranches(items)[0] : undefined;
    const child = objectBranches(s).find((b) => b.properties);
    out.push({ key: path, type: typeLabel(s).replace(/mapping$/, 'mapping').replace(/^list of mapping$/, 'list of mappings'), required: required.has(key), default: s.default, description: s.description ?? (items?.description ?? child?.description ?? '') });
    if (child?.properties) rows(child, `${path}.`, out);
    else if (itemObj?.properties) rows(itemObj, `${path}[].`, out);
  }
}

function fmtDefault(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'object' && v !== null && Object.keys(v).length === 0) return Array.isArray(v) ? '`[]`' : '`{}`';
  if (typeof v === 'object') return '(see keys below)';
  return `\`${JSON.stringify(v)}\``;
}

function table(rs: Row[]): string[] {
  return ['| Key | Type | Required | Default | Description |', '| --- | --- | --- | --- | --- |', ...rs.map((r) => `| \`${r.key}\` | ${cell(r.type)} | ${r.required ? 'yes' : ''} | ${cell(fmtDefault(r.default))} | ${cell(r.description)} |`)];
}

export function renderConfigReference(): string {
  const cluster: Row[] = [];
  rows(clusterJsonSchema(), '', cluster);
  const exp = branches(experimentJsonSchema());
  const fileForm = exp.find((b) => b.properties?.instances);
  const single = exp.find((b) => b.properties?.instance_id);
  const fileRows: Row[] = [];
  if (fileForm) rows(fileForm, '', fileRows);
  const instRows: Row[] = [];
  if (single) rows(single, '', instRows);
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/core/config/schema.ts by scripts/gen-config-docs.ts. Do not edit by hand. -->',
    '',
    'ClusterLab reads one cluster file (`cluster.yaml` or `cluster_config.yaml`) and any number of experiment files',
    '(`experiments/**/*.{yaml,yml,json}`). Both are YAML; JSON works too. JSON Schemas for editors are in',
    '`schemas/cluster.schema.json` and `schemas/experiment.schema.json`.',
    '',
    'Unknown keys are warnings (with a "did you mean" suggestion) and are ignored. `clusterlab validate` and the editor',
    'report every problem as `FILE:LINE:COL: error|warning: message`.',
    '',
    '## Cluster file',
    '',
    ...table(cluster),
    '',
    'Checks across fields: node names are unique; `reserved_ram_gb` is less than `ram_gb`; `gpu_memory_gb` needs',
    '`gpu: true`; every node except `type: host` has a `host` (an address or a `~/.ssh/config` alias). A `type: host`',
    'node runs on this machine and needs no SSH fields. `status: maintenance` keeps a node out of placement.',
    '',
    '## Experiment files',
    '',
    'An experiment file holds either a list of instances under `instances:` or the keys of a single instance at the top level.',
    '',
    '### With `instances:`',
    '',
    ...table(fileRows),
    '',
    '### One instance per file',
    '',
    ...table(instRows),
    '',
    'Checks across files: `instance_id` is unique across all loaded files; `affinity` and `anti_affinity` name loaded',
    'instances and never the same id in both; `preferred_node` names a node of the cluster file. An instance that no',
    'node could ever hold (RAM after the reserve, GPU, GPU memory, CPU cores) is a warning that says why.',
    '',
    '`failover` is merged: the cluster file\'s `failover` < the experiment file\'s `failover` < the instance\'s `failover`;',
    'keys left out take the defaults above.',
    '',
  ].join('\n');
}
