// What a CLI command is. One file per command family in src/cli/commands/, listed in registry.ts.
import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CliIO {
  cwd: string;
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /** Whether stdin is a terminal (prompts are possible). */
  interactive: boolean;
  /** Aborted on SIGINT/SIGTERM: long commands stop cleanly. */
  signal: AbortSignal;
}

export type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CliCommand {
  name: string;
  summary: string;
  /** Usage lines shown by --help, without the leading "clusterlab". */
  usage: string[];
  /** Extra help text (option descriptions). */
  help: string;
  options: OptionSpec;
  allowPositionals?: boolean;
  run(io: CliIO, values: ParsedValues, positionals: string[]): Promise<number>;
}

/** Options every command takes. */
export const COMMON_OPTIONS: OptionSpec = {
  cluster: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
