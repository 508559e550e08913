// JSON Schemas generated from the zod schemas in schema.ts (never hand-kept). The committed copies
// in schemas/*.schema.json are written by scripts/gen-schemas.ts and contributed to VS Code through
// yamlValidation / jsonValidation; hover, completion and unknown-key checks navigate them too.
import { z } from 'zod';
import { clusterFileSchema, experimentFileSchema } from './schema';

export interface JSONSchema {
  $schema?: string;
  $id?: string;
  title?: string;
  type?: string | string[];
  description?: string;
  default?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JSONSchema>;
  required?: string[];
  additionalProperties?: boolean | JSONSchema;
  items?: JSONSchema;
  anyOf?: JSONSchema[];
  oneOf?: JSONSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  'x-hint'?: string;
  [k: string]: unknown;
}

export type ConfigKind = 'cluster' | 'experiment';

function generate(schema: z.ZodType, id: string, title: string): JSONSchema {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as JSONSchema;
  return { $schema: s.$schema, $id: id, title, ...s };
}

let cache: Record<ConfigKind, JSONSchema> | undefined;

function all(): Record<ConfigKind, JSONSchema> {
  cache ??= {
    cluster: generate(clusterFileSchema, 'https://clusterlab.dev/schemas/cluster.schema.json', 'ClusterLab cluster file'),
    experiment: generate(experimentFileSchema, 'https://clusterlab.dev/schemas/experiment.schema.json', 'ClusterLab experiment file'),
  };
  return cache;
}

export function clusterJsonSchema(): JSONSchema {
  return all().cluster;
}

export function experimentJsonSchema(): JSONSchema {
  return all().experiment;
}

export function jsonSchemaFor(kind: ConfigKind): JSONSchema {
  return all()[kind];
}

/** The branches of a schema (anyOf/oneOf), or the schema itself. */
export function branches(s: JSONSchema): JSONSchema[] {
  const alts = s.anyOf ?? s.oneOf;
  if (!alts) return [s];
  return alts.flatMap(branches);
}

/** Object branches of a schema. */
const objectBranchCache = new WeakMap<JSONSchema, JSONSchema[]>();

export function objectBranches(s: JSONSchema | undefined): JSONSchema[] {
  if (!s) return [];
  let r = objectBranchCache.get(s);
  if (!r) {
    r = branches(s).filter((b) => b.properties !== undefined || b.type === 'object');
    objectBranchCache.set(s, r);
  }
  return r;
}

/**
 * Picks the object branch that best matches the keys present: the one for which the most of its
 * required keys are present; on a tie, the one with more keys. For an experiment file this means a
 * file with `instances:` is the experiment form, anything else is a single instance.
 */
export function pickObjectBranch(s: JSONSchema | undefined, keys: readonly string[]): JSONSchema | undefined {
  const obs = objectBranches(s);
  if (obs.length <= 1) return obs[0];
  let best = obs[0] as JSONSchema;
  let bestScore = -Infinity;
  for (const b of obs) {
    let score = Object.keys(b.properties ?? {}).length;
    for (const r of b.required ?? []) if (keys.includes(r)) score += 1000;
    if (score > bestScore) {
      bestScore = score;
      best = b;
    }
  }
  return best;
}

export function arrayItems(s: JSONSchema | undefined): JSONSchema | undefined {
  if (!s) return undefined;
  if (s.items) return s.items;
  for (const b of branches(s)) if (b.items) return b.items;
  return undefined;
}

/** Schema of a property value (for records: their value schema). */
export function propertySchema(obj: JSONSchema | undefined, key: string): JSONSchema | undefined {
  if (!obj) return undefined;
  const p = obj.properties?.[key];
  if (p) return p;
  if (typeof obj.additionalProperties === 'object') return obj.additionalProperties;
  return undefined;
}

/** True when the object schema lists its keys (a record accepts any key). */
export function isClosedObject(obj: JSONSchema): boolean {
  return obj.additionalProperties === false;
}

/** Human-readable type of a schema, e.g. `number > 0`, `"a" | "b"`, `list of string`. */
export function typeLabel(s: JSONSchema): string {
  const bs = branches(s);
  if (bs.length > 1) return bs.map(typeLabel).join(' or ');
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const t = Array.isArray(s.type) ? s.type.join(' | ') : s.type;
  if (t === 'array') return `list of ${s.items ? typeLabel(s.items) : 'values'}`;
  if (t === 'object') return typeof s.additionalProperties === 'object' ? `mapping of ${typeLabel(s.additionalProperties)}` : 'mapping';
  if (t === 'number' || t === 'integer') {
    const parts: string[] = [t === 'integer' ? 'whole number' : 'number'];
    if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
    else if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
    if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${s.maximum}`);
    return parts.join(' ');
  }
  return t ?? 'any';
}

/**
 * The schema at a path of keys and list indexes. `keysAt(depth)` gives the keys present in the
 * mapping at that depth, to choose between alternatives (experiment file vs. single instance).
 */
export function schemaAtPath(kind: ConfigKind, path: readonly (string | number)[], keysAt: (depth: number) => readonly string[] = () => []): JSONSchema | undefined {
  let s: JSONSchema | undefined = jsonSchemaFor(kind);
  for (let i = 0; i < path.length && s; i++) {
    const seg = path[i] as string | number;
    if (typeof seg === 'number') s = arrayItems(s);
    else s = propertySchema(pickObjectBranch(s, keysAt(i)), seg);
  }
  return s;
}

/** Markdown documentation of one key: type, required/default, allowed values, description. */
export function keyDocMarkdown(key: string, s: JSONSchema, required: boolean): string {
  const lines = [`**${key}**: \`${typeLabel(s)}\`${required ? ' (required)' : ''}`, ''];
  if (s.description) lines.push(s.description, '');
  const facts: string[] = [];
  if (s.default !== undefined && !(typeof s.default === 'object' && s.default !== null && Object.keys(s.default).length === 0)) facts.push(`Default: \`${JSON.stringify(s.default)}\``);
  const enums = branches(s).flatMap((b) => b.enum ?? []);
  if (enums.length) facts.push(`Allowed: ${enums.map((v) => `\`${String(v)}\``).join(', ')}`);
  if (s.examples?.length) facts.push(`Example: \`${key}: ${String(s.examples[0])}\``);
  if (facts.length) lines.push(facts.join(' · '));
  return lines.join('\n').trim();
}

/** The committed schema files' contents, keyed by file name under schemas/. */
export function renderSchemaFiles(): Record<string, string> {
  return {
    'cluster.schema.json': JSON.stringify(clusterJsonSchema(), null, 2) + '\n',
    'experiment.schema.json': JSON.stringify(experimentJsonSchema(), null, 2) + '\n',
  };
}
