// Every CLI command, in the order `clusterlab --help` lists them.
import type { CliCommand } from './command';
import { validateCommand } from './commands/validate';
import { healthCommand } from './commands/health';
import { deployCommand } from './commands/deploy';
import { planCommand } from './commands/plan';
import { reportCommand } from './commands/report';
import { runCommand } from './commands/run';
import { statusCommand } from './commands/status';
import { logsCommand } from './commands/logs';
import { stopCommand } from './commands/stop';
import { monitorCommand } from './commands/monitor';

export const commands: CliCommand[] = [validateCommand, healthCommand, deployCommand, planCommand, reportCommand, runCommand, statusCommand, logsCommand, stopCommand, monitorCommand];
