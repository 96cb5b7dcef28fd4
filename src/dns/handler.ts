import type { Logger } from '../log.js';
import type { AddressSet } from '../match/cidr/address-set.js';
import type { MatcherHolder } from '../match/holder.js';
import type { Hit, Matcher } from '../match/matcher.js';
import { verdictOfHit, type Verdict } from '../match/verdict.js';
import type { Metrics } from '../metrics/registry.js';
import {
  buildBlockReply,
  buildHeaderOnlyReply,
  buildReply,
  type BlockSettings,
} from './answers.js';
import type { Forwarder } from './forwarder.js';
import { truncateReply } from './truncate.js';
import {
  HEADER_BYTES,
  parseQuery,
  RCODE_FORMERR,
  RCODE_NOTIMP,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  type Query,
} from './wire.js';

/** A block or monitor hit, for hit events. */
export interface DnsHit {
  client: string;
  name: string;
  qtype: number;
  verdict: Verdict;
  indicator: string;
  feeds: string[];
}

export interface HandlerOptions {
  holder: MatcherHolder;
  metrics: Metrics;
  forwarder: Forwarder;
  acl: AddressSet;
  block: BlockSettings;
  logger: Logger;
  onHit?: (hit: DnsHit) => void;
}

/**
 * Answers one DNS message from one client:
 *
 *   parse ─► ACL ─► opcode ─► match name ─► block reply
 *                                 └──────► forward upstream ─► relay (or SERVFAIL)
 *
 * The ACL comes before matching so an outsider learns nothing, not even what is blocked.
 * Nothing here throws for anything a client sends; malformed input is counted and dropped.
 */
export class QueryHandler {
  constructor(private readonly o: HandlerOptions) {}

  async handle(msg: Buffer, client: string, viaTcp: boolean): Promise<Buffer | undefined> {
    const parsed = parseQuery(msg);
    const allowed = this.o.acl.hasText(client);
    if (!parsed.ok) {
      this.count('malformed');
      this.o.logger.debug({ client, reason: parsed.reason }, 'malformed dns message');
      if (!allowed || parsed.id === undefined) return undefined;
      return buildHeaderOnlyReply(parsed.id, parsed.flags ?? 0, RCODE_FORMERR);
    }
    const query = parsed.query;
    if (!allowed) {
      this.count('refused');
      return buildReply(msg, query, { rcode: RCODE_REFUSED });
    }
    if (query.opcode !== 0) {
      this.count('notimp');
      return buildReply(msg, query, { rcode: RCODE_NOTIMP });
    }

    const verdict = this.decide(query, client);
    if (verdict === 'block') {
      this.count(query.edns && query.edns.version > 0 ? 'badvers' : 'blocked');
      return buildBlockReply(msg, query, this.o.block);
    }
    return this.forward(msg, query, viaTcp, verdict === 'monitor' ? 'monitored' : 'forwarded');
  }

  private decide(query: Query, client: string): Verdict {
    const matcher = this.o.holder.current;
    if (!matcher || query.name === '') return 'allow';

    const started = performance.now();
    const hit = matcher.lookupDomain(query.name);
    this.o.metrics.lookupDuration.observe((performance.now() - started) / 1000);
    const verdict = verdictOfHit(matcher, hit);
    this.o.metrics.verdicts.inc({ type: 'domain', verdict });
    if (hit && verdict !== 'allow') this.recordHit(matcher, hit, query, client, verdict);
    return verdict;
  }

  private recordHit(matcher: Matcher, hit: Hit, query: Query, client: string, verdict: Verdict): void {
    const feeds = matcher.entryFeeds(hit.entry);
    const type = matcher.entryType(hit.entry);
    for (const feed of feeds) this.o.metrics.hits.inc({ feed, type });
    this.o.onHit?.({ client, name: query.name, qtype: query.qtype, verdict, indicator: matcher.entryValue(hit.entry), feeds });
  }

  private async forward(msg: Buffer, query: Query, viaTcp: boolean, action: string): Promise<Buffer> {
    const reply = await this.o.forwarder.forward(msg, query, viaTcp);
    if (!reply) {
      this.count('servfail');
      return buildReply(msg, query, { rcode: RCODE_SERVFAIL });
    }
    this.count(action);
    if (viaTcp) return reply;
    const limit = query.edns ? query.edns.udpSize : 512;
    return reply.length > limit ? truncateReply(reply, query.questionEnd - HEADER_BYTES) : reply;
  }

  private count(action: string): void {
    this.o.metrics.dnsQueries.inc({ action });
  }
}
