#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { exitStatusFor, SluiceError, UsageError } from '../errors.js';
import { rootLogger } from '../log.js';
import { USAGE } from './args.js';
import { checkCommand } from './check.js';
import { correlateCommand } from './correlate.js';
import { exportCommand } from './export.js';
import { serveCommand } from './serve.js';
import { syncCommand } from './sync.js';

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  serve: serveCommand,
  sync: syncCommand,
  check: checkCommand,
  export: exportCommand,
  correlate: correlateCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`sluice ${packageVersion()}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command ${command}\n${USAGE}`);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  return run(args);
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    const known = err instanceof SluiceError;
    process.stderr.write(`sluice: ${known ? err.message : (err as Error).stack ?? String(err)}\n`);
    if (!known) rootLogger().error({ err }, 'unexpected failure');
    process.exitCode = exitStatusFor(err);
  },
);
