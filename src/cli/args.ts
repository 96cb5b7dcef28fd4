import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

export const USAGE = `usage:
  sluice serve     --config FILE                 DNS + HTTP + syncer in one process
                   [--role all|syncer|gateway]    with store: redis, only fetch and write
                                                 versions (syncer) or only serve them (gateway)
  sluice sync      --config FILE --once          fetch all feeds once, write the set, exit
  sluice check     --config FILE [--json] VALUE… print the verdict and its reasons
  sluice export    --config FILE [--format plain] [--type ip|domain|url|hash]
                   [--min-score N] [--feed NAME]  print a list as firewalls pull it
  sluice export    --config FILE --list NAME [--page N]
                                                 print a named list (edl:) as /edl/NAME serves it
  sluice correlate --config FILE [--format text|json] [--blocks-only] LOGFILE…
                                                 indicators of the set seen in logs (retro-hunt)

  sluice --version

--config defaults to config/sluice.yaml, relative to the current folder. Exit status:
0 success, 1 runtime failure, 2 bad usage or config (check: a VALUE it cannot read).`;

/** Parses one command's flags strictly: an unknown flag is a UsageError naming it. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(`sluice ${command}: ${(err as Error).message}`);
  }
}

export const CONFIG_OPTION = { config: { type: 'string', short: 'c', default: 'config/sluice.yaml' } } as const;
