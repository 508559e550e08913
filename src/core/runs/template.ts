// Command templates: `python3 experiment_runner.py --config {experiment_config_path}`.
// Every placeholder is replaced by its value passed through `q`, so ids and paths with spaces,
// quotes or `$()` reach the shell as one plain word. `${VAR}` shell expansions are left alone;
// any other `{name}` is an unknown placeholder and is refused (a typo would otherwise reach the
// shell literally).
import { q } from '../shell';

export const PLACEHOLDERS = ['instance_id', 'node', 'experiment_config_path', 'remote_work_dir', 'checkpoint_dir'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Partial<Record<Placeholder, string>>;

export class TemplateError extends Error {
  constructor(
    readonly placeholder: string,
    message: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

const TOKEN = /(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Placeholders the template uses (in order, without duplicates). */
export function placeholdersOf(template: string): string[] {
  const seen: string[] = [];
  for (const m of template.matchAll(TOKEN)) {
    if (m[1] === '$') continue;
    const name = m[2] ?? '';
    if (!seen.includes(name)) seen.push(name);
  }
  return seen;
}

/** Substitute every placeholder with its shell-quoted value. Throws TemplateError on an unknown or missing one. */
export function renderCommand(template: string, values: TemplateValues): string {
  return template.replace(TOKEN, (whole, dollar: string, name: string) => {
    if (dollar === '$') return whole;
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new TemplateError(name, `unknown placeholder {${name}} in the command template; known placeholders are ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`);
    }
    const v = values[name as Placeholder];
    if (v === undefined) {
      throw new TemplateError(name, `placeholder {${name}} has no value for this instance${name === 'checkpoint_dir' ? ' (set failover.checkpoint_dir)' : ''}`);
    }
    return q(v);
  });
}
