import { SluiceError } from '../errors.js';
import { imageToSet } from '../match/codec.js';
import { Matcher } from '../match/matcher.js';
import { describe, type VerdictBody } from '../match/verdict.js';
import { decisionFor } from '../match/explain.js';
import { decayModels } from '../sync/publisher.js';
import { CONFIG_OPTION, parseCommandArgs } from './args.js';
import { loadRuntimeConfig, loadSavedImage, savedWhere } from './runtime.js';
import { UsageError } from '../errors.js';

/**
 * `sluice check VALUE…`: the verdict on each value against the saved set, with its reasons.
 * A value that cannot be read is reported and makes the exit status 2 after the others.
 */
export async function checkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('check', args, { ...CONFIG_OPTION, json: { type: 'boolean', default: false } }, true);
  if (positionals.length === 0) throw new UsageError('sluice check: give at least one VALUE');
  const { config } = loadRuntimeConfig(values.config);

  const image = await loadSavedImage(config);
  if (!image) {
    throw new SluiceError('SLUICE_ERR_NOT_READY', `${savedWhere(config)}: no indicator set saved yet; run sluice sync --once or sluice serve first`);
  }
  const matcher = new Matcher(imageToSet(image));

  let status = 0;
  for (const value of positionals) {
    try {
      const body = describe(decisionFor(matcher, value), { decay: decayModels(config) });
      process.stdout.write(values.json ? `${JSON.stringify(body)}\n` : formatVerdict(body));
    } catch (err) {
      if (!(err instanceof SluiceError)) throw err;
      process.stderr.write(`sluice check: ${err.message}\n`);
      status = 2;
    }
  }
  return status;
}

function formatVerdict(body: VerdictBody): string {
  const lines = [`${body.value}: ${body.verdict.toUpperCase()} (score ${body.score}, set version ${body.version})`];
  if (body.match) lines.push(`  match: ${body.match.indicator} (${body.match.type}, ${body.match.kind})`);
  for (const reason of body.reasons) lines.push(`  - ${reason}`);
  if (body.tags.length) lines.push(`  tags: ${body.tags.join(', ')}`);
  for (const c of body.context) {
    lines.push(`  context: ${c.kind} ${c.name}${c.attack_ids?.length ? ` (${c.attack_ids.join(', ')})` : ''}`);
  }
  for (const s of body.sources) {
    const extra = [s.tlp ? `TLP:${s.tlp.toUpperCase()}` : '', s.valid_until ? `valid until ${s.valid_until}` : ''].filter(Boolean);
    lines.push(`  source: ${s.feed}, confidence ${s.confidence}, first seen ${s.first_seen}, last seen ${s.last_seen}${extra.length ? `, ${extra.join(', ')}` : ''}`);
  }
  if (body.score_parts) {
    const parts = body.score_parts;
    for (const p of parts.sources) {
      lines.push(`  score part: ${p.feed} confidence ${p.confidence}, last seen ${p.ageDays} days ago, decay ${p.decay} -> ${p.score}`);
    }
    lines.push(`  score now: ${parts.combined_now} from ${parts.corroboration} source${parts.corroboration === 1 ? '' : 's'}`);
  }
  return `${lines.join('\n')}\n`;
}
