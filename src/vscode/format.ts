// Small formatting helpers shared by the tree, the status bar and messages.
export function gb(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return '?';
  const d = n < 10 && digits === 0 ? 1 : digits;
  return Number(n.toFixed(d)).toString();
}

/** "3 h 4 min", "12 s" */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return 'unknown';
  return `${duration(now - t)} ago`;
}

/** Escapes text for a MarkdownString. */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
