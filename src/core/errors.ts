// Every error a user can see names where (file:line:col or node), what is wrong and what to do.
export interface SourcePosition {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

export type ErrorWhere = { kind: 'file'; position: SourcePosition } | { kind: 'node'; node: string } | { kind: 'cli' } | { kind: 'none' };

export class ClusterLabError extends Error {
  constructor(
    readonly code: string,
    readonly what: string,
    readonly fix: string,
    readonly where: ErrorWhere = { kind: 'none' },
  ) {
    super(formatProblem(where, what, fix));
    this.name = 'ClusterLabError';
  }
}

export function formatWhere(where: ErrorWhere): string {
  switch (where.kind) {
    case 'file':
      return `${where.position.file}:${where.position.line}:${where.position.column}`;
    case 'node':
      return `node ${where.node}`;
    case 'cli':
      return 'clusterlab';
    case 'none':
      return '';
  }
}

export function formatProblem(where: ErrorWhere, what: string, fix: string): string {
  const w = formatWhere(where);
  const body = fix ? `${what}. ${fix}` : what;
  return w ? `${w}: ${body}` : body;
}

/** Message of anything thrown, without stack traces. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
