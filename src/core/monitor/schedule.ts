// When the next probe of a node starts: one interval after the previous one started, but never
// before it ended (a slow probe is not overlapped by the next one). Pure.
export function nextProbeAt(prevStart: number, prevEnd: number, intervalMs: number): number {
  return Math.max(prevStart + intervalMs, prevEnd);
}
