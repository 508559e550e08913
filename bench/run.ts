// npm run bench [-- NAME...]: runs every bench/*.bench.ts (or the named ones) and prints figures
// and ratios against the standard tools, measured on this machine in this run.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface BenchContext {
  /** Print one result line: name, value, unit, and an optional comparison. */
  report(name: string, value: number, unit: string, note?: string): void;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const dir = __dirname;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
    .sort();
  let failed = 0;
  for (const f of files) {
    console.log(`\n## ${f.replace(/\.bench\.ts$/, '')}`);
    const ctx: BenchContext = {
      report(name, value, unit, note) {
        const v = Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1);
        console.log(`  ${name.padEnd(48)} ${v.padStart(12)} ${unit}${note ? `   ${note}` : ''}`);
      },
    };
    try {
      const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default: (ctx: BenchContext) => Promise<void> };
      await mod.default(ctx);
    } catch (e) {
      failed++;
      console.log(`  FAILED: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
