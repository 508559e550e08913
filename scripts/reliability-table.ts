// Renders the reliability table (docs/reliability.md) from test-results/reliability.json, which
// the fault-injection suite writes (node scripts/test.mjs faults).
//   npx tsx scripts/reliability-table.ts [path/to/reliability.json]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FaultRow as Row } from '../test/faults/helpers';


const file = resolve(process.argv[2] ?? 'test-results/reliability.json');
let data: { generated_at: string; faults: Row[] };
try {
  data = JSON.parse(readFileSync(file, 'utf8')) as { generated_at: string; faults: Row[] };
} catch (e) {
  process.stderr.write(`reliability-table: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}. Run "node scripts/test.mjs faults" first.\n`);
  process.exit(1);
}
const s = (v: number | null, digits = 1) => (v === null ? '–' : v.toFixed(digits));
const lines = [
  `Measured ${data.generated_at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} (default health settings: probe every 2 s, 3 s timeout, UNAVAILABLE after 2 failures spanning 2 s, back after 2 successes).`,
  '',
  '| Fault | Detected in s (failed probes) | Recovered in s | Lines lost | Lines repeated | Runs lost | Duplicate runs | How it recovered |',
  '|---|---|---|---|---|---|---|---|',
  ...data.faults.map((r) => `| ${r.fault} | ${r.detected_s === null ? '– (not marked)' : `${s(r.detected_s)} (${r.failed_probes_before_marked ?? '?'})`} | ${s(r.recovered_s)} | ${r.lines_lost} | ${r.lines_repeated} | ${r.runs_lost} | ${r.duplicate_runs} | ${r.recovery}${r.notes ? `; ${r.notes}` : ''} |`),
];
process.stdout.write(lines.join('\n') + '\n');
