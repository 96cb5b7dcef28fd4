import { SluiceError, UsageError } from '../errors.js';
import { correlate, type Finding } from '../correlate/index.js';
import { imageToSet } from '../match/codec.js';
import { Matcher } from '../match/matcher.js';
import { CONFIG_OPTION, parseCommandArgs } from './args.js';
import { loadRuntimeConfig, loadSavedImage, savedWhere } from './runtime.js';

/**
 * `sluice correlate LOGFILE…`: every indicator of the saved set found in the logs, with when
 * and where. Progress goes to stderr so stdout stays the findings alone.
 */
export async function correlateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'correlate',
    args,
    { ...CONFIG_OPTION, format: { type: 'string', default: 'text' }, 'blocks-only': { type: 'boolean', default: false } },
    true,
  );
  if (positionals.length === 0) throw new UsageError('sluice correlate: give at least one LOGFILE');
  if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`sluice correlate: --format is text or json, not ${values.format}`);
  const { config } = loadRuntimeConfig(values.config as string);
  const image = await loadSavedImage(config);
  if (!image) throw new SluiceError('SLUICE_ERR_NOT_READY', `${savedWhere(config)}: no indicator set saved yet; run sluice sync --once first`);
  const matcher = new Matcher(imageToSet(image));
  // Piped into head or less: a closed pipe ends the hunt quietly, not with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });

  let total = 0;
  const started = Date.now();
  const progress = (file: string, lines: number, found: number, bytes: number) => {
    if (Date.now() - started < 2000) return;
    process.stderr.write(`sluice correlate: ${file}: ${lines} lines, ${found} found (${Math.round(bytes / 1e6)} MB file)\n`);
  };
  for (const file of positionals) {
    try {
      for await (const f of correlate(matcher, [file], { minVerdict: values['blocks-only'] ? 'block' : 'monitor', onProgress: progress })) {
        total++;
        process.stdout.write(values.format === 'json' ? `${JSON.stringify(f)}\n` : formatFinding(f));
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') throw new UsageError(`sluice correlate: ${file}: ${e.message}`);
      throw err;
    }
  }
  if (values.format === 'text') process.stderr.write(`sluice correlate: ${total} finding${total === 1 ? '' : 's'} in ${positionals.length} file${positionals.length === 1 ? '' : 's'}\n`);
  return 0;
}

function formatFinding(f: Finding): string {
  const when = f.time ? ` ${f.time}` : '';
  const context = f.context.length ? ` [${f.context.map((c) => `${c.kind}:${c.name}`).join(', ')}]` : '';
  return `${f.file}:${f.line}${when} ${f.field}=${f.value} ${f.verdict.toUpperCase()} ${f.indicator} (${f.feeds.join(', ')})${context}\n`;
}
