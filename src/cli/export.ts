import { SluiceError, UsageError } from '../errors.js';
import { LIST_FORMATS, renderList, type ListFormat } from '../edl/formats.js';
import { listProblems } from '../edl/check.js';
import { generateList } from '../edl/generate.js';
import { LIST_KINDS, listLines, type ListKind } from '../edl/select.js';
import { imageToSet } from '../match/codec.js';
import { Matcher } from '../match/matcher.js';
import type { Config } from '../config/load.js';
import { CONFIG_OPTION, parseCommandArgs } from './args.js';
import { loadRuntimeConfig, loadSavedImage, savedWhere } from './runtime.js';

/** `sluice export`: the same lists `/edl/` serves, from the saved set, on stdout. */
export async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs('export', args, {
    ...CONFIG_OPTION,
    format: { type: 'string' },
    type: { type: 'string' },
    'min-score': { type: 'string' },
    feed: { type: 'string' },
    list: { type: 'string' },
    page: { type: 'string' },
  });
  if (values.list !== undefined) {
    // A named list is configured in full; flags that would change it would make the output
    // differ from what /edl/NAME serves, which is the point of exporting it.
    const clash = (['format', 'type', 'min-score', 'feed'] as const).filter((f) => values[f] !== undefined);
    if (clash.length > 0) throw new UsageError(`sluice export: --list takes its settings from the config; drop --${clash.join(', --')}`);
    if (values.page !== undefined && (!/^\d{1,9}$/.test(values.page) || Number(values.page) < 1)) {
      throw new UsageError('sluice export: --page must be a page number from 1');
    }
    return exportNamed(values.config, values.list, values.page === undefined ? 1 : Number(values.page));
  }
  if (values.page !== undefined) throw new UsageError('sluice export: --page needs --list');
  const format = values.format ?? 'plain';
  if (!(LIST_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`sluice export: --format must be one of ${LIST_FORMATS.join(', ')}`);
  }
  if (values.type !== undefined && !(LIST_KINDS as readonly string[]).includes(values.type)) {
    throw new UsageError(`sluice export: --type must be one of ${LIST_KINDS.join(', ')}`);
  }
  const minScore = values['min-score'];
  if (minScore !== undefined && (!/^\d{1,3}$/.test(minScore) || Number(minScore) > 100)) {
    throw new UsageError('sluice export: --min-score must be an integer from 0 to 100');
  }
  const { config } = loadRuntimeConfig(values.config);
  if (values.feed !== undefined && !config.feeds.some((f) => f.name === values.feed)) {
    throw new UsageError(`sluice export: no feed named ${values.feed} in ${config.file}`);
  }
  const matcher = await savedMatcher(config);
  const kinds = values.type ? [values.type as ListKind] : [...LIST_KINDS];
  for (const kind of kinds) {
    const lines = listLines(matcher, {
      kind,
      ...(minScore !== undefined ? { minScore: Number(minScore) } : {}),
      ...(values.feed !== undefined ? { feed: values.feed } : {}),
    });
    process.stdout.write(renderList(matcher, lines, kind, format as ListFormat));
  }
  return 0;
}

/** `--list NAME [--page N]`: byte for byte what GET /edl/NAME?page=N answers for the saved set. */
async function exportNamed(configFile: string, name: string, page: number): Promise<number> {
  const { config } = loadRuntimeConfig(configFile);
  const list = config.edl.find((l) => l.name === name);
  if (!list) {
    const names = config.edl.map((l) => l.name);
    throw new UsageError(`sluice export: no list named ${name} in ${config.file}${names.length ? `; lists are ${names.join(', ')}` : '; edl: names none'}`);
  }
  const problems = listProblems(list);
  if (problems.length > 0) throw new UsageError(`sluice export: ${problems.join('; ')}`);
  const matcher = await savedMatcher(config);
  process.stdout.write(generateList(matcher, list).page(page));
  return 0;
}

async function savedMatcher(config: Config): Promise<Matcher> {
  const image = await loadSavedImage(config);
  if (!image) throw new SluiceError('SLUICE_ERR_NOT_READY', `${savedWhere(config)}: no indicator set saved yet; run sluice sync --once first`);
  return new Matcher(imageToSet(image));
}
