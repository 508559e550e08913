// Every CLI command, in the order `clusterlab --help` lists them.
import type { CliCommand } from './command';
import { validateCommand } from './commands/validate';
import { healthCommand } from './commands/health';

export const commands: CliCommand[] = [validateCommand, healthCommand];
