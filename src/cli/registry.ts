// Every CLI command, in the order `clusterlab --help` lists them.
import type { CliCommand } from './command';
import { validateCommand } from './commands/validate';

export const commands: CliCommand[] = [validateCommand];
