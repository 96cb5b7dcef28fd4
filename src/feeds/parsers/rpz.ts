import { FeedParseError } from '../../errors.js';
import { parseAddress } from '../../indicators/normalize/index.js';
import type { ParseReport, ValueFacts } from './report.js';
import { ZoneNames, type OwnerName } from './rpz/names.js';
import { actionOf, triggerOf } from './rpz/triggers.js';
import { isTtl, readZone, type ZoneDirective, type ZoneRecord } from './rpz/zone.js';
import type { ParserOptions } from './types.js';

/** The zone's own records: they describe the zone, they are not policy. */
const ZONE_OWN = new Set(['SOA', 'NS', 'DNSKEY', 'RRSIG', 'NSEC', 'NSEC3', 'NSEC3PARAM', 'ZONEMD', 'CDS', 'CDNSKEY']);

/**
 * A Response Policy Zone: QNAME triggers become names (exact, or with `*.` the names below),
 * rpz-ip triggers become addresses and networks. NXDOMAIN, NODATA and DROP are blocks, PASSTHRU
 * an allow entry; local data and the triggers a gateway cannot honour are counted as skipped.
 */
export function parseRpz(text: string, options: ParserOptions, report: ParseReport): void {
  const names = new ZoneNames(options.rpz.origin);
  let previous: OwnerName | undefined;
  let records = 0;
  readZone(text, (entry) => {
    if (entry.kind === 'error') {
      report.reject(entry.line, entry.text, entry.reason);
      if (entry.owner !== undefined) previous = names.resolve(entry.owner);
    } else if (entry.kind === 'directive') {
      directive(entry, names, report);
    } else {
      const owner = entry.owner === undefined ? previous : names.resolve(entry.owner);
      if (!owner) {
        report.reject(entry.line, entry.text, 'blank owner name with no record before it');
        return;
      }
      previous = owner;
      records++;
      record(entry, owner, names, report);
    }
  });
  // A hosts file, a JSON document or a plain list named `rpz` has no line that reads as a record.
  if (records === 0 && report.invalid.count > 0) {
    const first = report.invalid.examples[0]!;
    throw new FeedParseError(`not a DNS zone: no resource record; first: line ${first.line} ${JSON.stringify(first.value)}: ${first.reason}`);
  }
}

function directive(entry: ZoneDirective, names: ZoneNames, report: ParseReport): void {
  switch (entry.name) {
    case '$ORIGIN': {
      const error = names.setOrigin(entry.args[0]);
      if (error) report.reject(entry.line, entry.text, error);
      return;
    }
    case '$TTL':
      if (entry.args[0] === undefined || !isTtl(entry.args[0])) report.reject(entry.line, entry.text, '$TTL without a valid TTL');
      return;
    case '$INCLUDE':
    case '$GENERATE':
      report.skip(entry.line, entry.text, `unsupported directive: ${entry.name}`);
      return;
    default:
      report.reject(entry.line, entry.text, `unknown directive ${entry.name}`);
  }
}

function record(entry: ZoneRecord, owner: OwnerName, names: ZoneNames, report: ParseReport): void {
  if (entry.type === 'SOA') names.noteSoa(owner);
  if (ZONE_OWN.has(entry.type)) return;
  const written = entry.owner ?? entry.text;
  const place = names.trigger(owner);
  if (place.kind === 'outside') return report.reject(entry.line, written, place.reason);
  if (place.kind === 'apex') return report.skip(entry.line, entry.text, 'record at the zone apex is not a trigger');

  const trigger = triggerOf(place.name);
  if (trigger.kind === 'bad') return report.reject(entry.line, written, trigger.reason);
  if (trigger.kind === 'unsupported') return report.skip(entry.line, written, trigger.reason);
  const action = actionOf(entry.type, entry.rdata);
  if (action.kind === 'bad') return report.reject(entry.line, entry.text, action.reason);
  if (action.kind === 'skip') return report.skip(entry.line, entry.text, action.reason);

  const facts: ValueFacts = { action: action.kind };
  if (action.kind === 'block' && action.tags) facts.tags = action.tags;
  if (trigger.kind === 'ip') {
    report.value(trigger.cidr, entry.line, 'ip', facts);
  } else if (parseAddress(trigger.name)) {
    // The domain normalizer would retype it as an address; as a DNS name it matches nothing.
    report.reject(entry.line, written, 'QNAME trigger is an address (IP triggers are written as rpz-ip names)');
  } else {
    report.value(trigger.name, entry.line, 'domain', { ...facts, exactOnly: !trigger.wildcard });
  }
}
