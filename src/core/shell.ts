// The one quoting helper. Every remote command is assembled from literal shell words and
// values passed through `q`/`sh`, so ids and paths with spaces, quotes, `$()`, `;`, backticks or
// newlines reach the remote shell as plain data.

/** POSIX single-quote a value: 'it'\''s' */
export function q(value: string | number): string {
  const s = String(value);
  if (s.length > 0 && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A trusted shell fragment (written by us, never from user data). */
export class Raw {
  constructor(readonly text: string) {}
}
export const raw = (text: string): Raw => new Raw(text);

/**
 * Tagged template: literal parts are trusted shell text, every interpolated value is quoted,
 * arrays become several quoted words and `raw(...)` fragments are inserted as they are.
 *   sh`mkdir -p ${dir} && cd ${dir} && ${raw(script)}`
 */
export function sh(strings: TemplateStringsArray, ...values: Array<string | number | Raw | ReadonlyArray<string | number>>): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    if (v instanceof Raw) out += v.text;
    else if (Array.isArray(v)) out += v.map((x) => q(x)).join(' ');
    else out += q(v as string | number);
    out += strings[i + 1] ?? '';
  });
  return out;
}

/** `VAR=value` assignments, names validated, values quoted. */
export function envAssignments(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name ${JSON.stringify(k)}`);
      return `${k}=${q(v)}`;
    })
    .join(' ');
}
