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
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JSONSchema;
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
export function objectBranches(s: JSONSchema | undefined): JSONSchema[] {
  if (!s) return [];
  return branches(s).filter((b) => b.properties !== undefined || b.type === 'object');
}

/**
 * Picks the object branch that best matches the keys present: for an experiment file, a file
 * with `instances:` is the experiment form, anything else is a single instance.
 */
export function pickObjectBranch(s: JSONSchema | undefined, keys: readonly string[]): JSONSchema | undefined {
  const obs = objectBranches(s);
  if (obs.length <= 1) return obs[0];
  let best = obs[0];
  let bestScore = -Infinity;
  for (const b of obs) {
    const props = b.properties ?? {};
    let score = 0;
    for (const k of keys) if (k in props) score += 1;
    for (const r of b.required ?? []) if (keys.includes(r)) score += 10;
    if (score > bestScore) {
      bestScore = score;
      best = b;
    }
  }
  return best;
}

export function arrayItems(s: JSONSchema | undefined): JSONSchema | undefined {
  if (!s) return undefined;
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
    if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
    return parts.join(' ');
  }
  return t ?? 'any';
}
