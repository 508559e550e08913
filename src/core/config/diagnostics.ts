// Diagnostics for config files: one shape for the editor (0-based, like LSP / VS Code) and the
// CLI (printed 1-based as FILE:LINE:COL: severity: message).

/** 0-based line and character (UTF-16 code units), like LSP and VS Code. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  file: string;
  severity: Severity;
  /** Stable machine-readable code, e.g. `yaml-syntax`, `type`, `unknown-key`, `duplicate-node`. */
  code: string;
  message: string;
  range: Range;
}

/** `FILE:LINE:COL: error|warning: message`, with 1-based line and column. */
export function formatDiagnostic(d: Diagnostic, file: string = d.file): string {
  return `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity}: ${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Sorts by file, then position, errors before warnings at the same place. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character ||
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1),
  );
}

/** Maps string offsets to 0-based positions. */
export class LineIndex {
  private lineStarts: number[] | undefined;
  constructor(readonly text: string) {}
  /** Built on first use: most files have no diagnostic at all. */
  private get starts(): number[] {
    if (!this.lineStarts) {
      const starts = [0];
      const text = this.text;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.lineStarts = starts;
    }
    return this.lineStarts;
  }
  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - (starts[lo] as number) };
  }
  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(Math.max(start, end)) };
  }
  offset(p: Position): number {
    const s = this.starts[Math.min(p.line, this.starts.length - 1)] ?? 0;
    return Math.min(this.text.length, s + p.character);
  }
}
