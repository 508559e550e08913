// clusterlab: the CLI entry point. Parses the command line, dispatches to a command and turns
// every failure into a clear message and an exit code (0 ok, 1 problem, 2 usage).
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, EXIT_PROBLEM, EXIT_USAGE, UsageError, type CliCommand, type CliIO } from './command';
import { commands } from './registry';
import { describeError } from '../core/errors';

const VERSION = '0.1.0';

function topHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  return [
    'clusterlab: validate, place, deploy, run and watch experiments on your own cluster',
    '',
    'Usage: clusterlab <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --cluster FILE (default: cluster.yaml or cluster_config.yaml in the',
    'current folder) and --help.',
  ].join('\n');
}

export function commandHelp(c: CliCommand): string {
  return [`Usage:`, ...c.usage.map((u) => `  clusterlab ${u}`), '', c.summary, '', c.help.trimEnd(), '', '  --cluster FILE   cluster config (default: ./cluster.yaml or ./cluster_config.yaml)', '  -h, --help       show this help'].join('\n');
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp() + '\n');
    return name ? 0 : EXIT_USAGE;
  }
  if (name === '--version' || name === '-V') {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`clusterlab: unknown command "${name}". Run "clusterlab --help" for the list of commands.\n`);
    return EXIT_USAGE;
  }
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: rest, options: { ...COMMON_OPTIONS, ...command.options }, allowPositionals: command.allowPositionals ?? false, strict: true });
    values = parsed.values;
    positionals = parsed.positionals;
  } catch (e) {
    io.err(`clusterlab ${name}: ${describeError(e).replace(/^TypeError \[[A-Z_]+\]: /, '')}\nRun "clusterlab ${name} --help" for usage.\n`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.out(commandHelp(command) + '\n');
    return 0;
  }
  try {
    return await command.run(io, values as never, positionals);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`clusterlab ${name}: ${e.message}\nRun "clusterlab ${name} --help" for usage.\n`);
      return EXIT_USAGE;
    }
    io.err(`clusterlab ${name}: ${describeError(e)}\n`);
    if (process.env.CLUSTERLAB_DEBUG && e instanceof Error && e.stack) io.err(e.stack + '\n');
    return EXIT_PROBLEM;
  }
}

function main(): void {
  const controller = new AbortController();
  let interrupted = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  const io: CliIO = {
    cwd: process.cwd(),
    env: process.env,
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    interactive: Boolean(process.stdin.isTTY),
    signal: controller.signal,
  };
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`clusterlab: ${describeError(e)}\n`);
      process.exitCode = EXIT_PROBLEM;
    },
  );
}

if (require.main === module) main();
