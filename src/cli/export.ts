import { SluiceError, UsageError } from '../errors.js';
import { LIST_FORMATS, renderList, type ListFormat } from '../edl/formats.js';
import { LIST_KINDS, listLines, type ListKind } from '../edl/select.js';
import { imageToSet } from '../match/codec.js';
import { Matcher } from '../match/matcher.js';
import { CONFIG_OPTION, parseCommandArgs } from './args.js';
import { loadRuntimeConfig, openStore } from './runtime.js';

/** `sluice export`: the same lists `/edl/` serves, from the saved set, on stdout. */
export async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs('export', args, {
    ...CONFIG_OPTION,
    format: { type: 'string', default: 'plain' },
    type: { type: 'string' },
    'min-score': { type: 'string' },
    feed: { type: 'string' },
  });
  if (!(LIST_FORMATS as readonly string[]).includes(values.format)) {
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
  const store = openStore(config);
  const image = await store.loadLatest();
  await store.close();
  if (!image) throw new SluiceError('SLUICE_ERR_NOT_READY', `${config.data_dir}: no indicator set saved yet; run sluice sync --once first`);

  const matcher = new Matcher(imageToSet(image));
  const kinds = values.type ? [values.type as ListKind] : [...LIST_KINDS];
  for (const kind of kinds) {
    const lines = listLines(matcher, {
      kind,
      ...(minScore !== undefined ? { minScore: Number(minScore) } : {}),
      ...(values.feed !== undefined ? { feed: values.feed } : {}),
    });
    process.stdout.write(renderList(matcher, lines, kind, values.format as ListFormat));
  }
  return 0;
}
