// Every CLI command, in the order `clusterlab --help` lists them.
import type { CliCommand } from './command';

export const commands: CliCommand[] = [];
