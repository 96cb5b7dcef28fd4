import type { Logger } from '../log.js';
import type { AddressSet } from '../match/cidr/address-set.js';
import type { MatcherHolder } from '../match/holder.js';
import type { ParsedAddress } from '../indicators/normalize/index.js';
import { formatIPv6 } from '../indicators/address.js';
import type { Hit, Matcher } from '../match/matcher.js';
import { settle } from '../match/settle.js';
import { verdictOfHit, type Verdict } from '../match/verdict.js';
import type { Metrics } from '../metrics/registry.js';
import {
  buildBlockReply,
  buildHeaderOnlyReply,
  buildReply,
  type BlockSettings,
} from './answers.js';
import { variantOf, type AnswerCache } from './cache.js';
import type { QueryLog } from './query-log.js';
import type { RateLimiter } from './rate-limit.js';
import { answerTargets, cacheTtl, walkPrefix, walkRecords, type RecordRef } from './records.js';
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

/** The decision on a name no entry matches: most queries, so one shared (and frozen) object. */
const UNLISTED: NameDecision = Object.freeze({ verdict: 'allow', allowlisted: false });

/** Client addresses whose ACL decision is remembered; past that the memory starts over. */
const ADMITTED_KEPT = 4096;

type NameDecision = { verdict: Verdict; allowlisted: boolean; indicator?: string };
/** A reply to send, or nothing (dropped). */
export type Reply = Buffer | undefined;
/** An upstream answer, with its records located and the set version it was found clean under. */
type Upstream = { message: Buffer; records: RecordRef[] | undefined; inspected?: number };
/** One query on its way through the handler. */
type Asked = { msg: Buffer; query: Query; client: string; viaTcp: boolean; matcher: Matcher | undefined };

/** The first name, then address, of an answer that the set blocks. */
function firstBlocked(matcher: Matcher, targets: ReturnType<typeof answerTargets>): Hit | undefined {
  for (const name of targets.names) {
    const hit = matcher.lookupDomain(name);
    if (hit && verdictOfHit(matcher, hit) === 'block') return hit;
  }
  for (const address of targets.addresses) {
    const hit = matcher.lookupAddress(toParsedAddress(address));
    if (hit && verdictOfHit(matcher, hit) === 'block') return hit;
  }
  return undefined;
}

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
  /** Check upstream answers (CNAME targets, addresses) against the set. Default true. */
  inspectAnswers?: boolean;
  cache?: AnswerCache;
  rateLimit?: { limiter: RateLimiter; action: 'refused' | 'drop' };
  queryLog?: QueryLog;
  /** Distinct clients named in sluice_client_hits_total before the rest count as "other". */
  clientLabels?: number;
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
  private readonly labelled = new Set<string>();
  private readonly admitted = new Map<string, boolean>();

  constructor(private readonly o: HandlerOptions) {}

  /**
   * The reply, or undefined for none. Block answers and cached answers come back at once, not
   * as a promise: most queries cost no microtask, which is a good part of a DNS answer's time.
   */
  handle(msg: Buffer, client: string, viaTcp: boolean): Reply | Promise<Reply> {
    const parsed = parseQuery(msg);
    const allowed = this.admits(client);
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
    if (this.o.rateLimit && !this.o.rateLimit.limiter.allow(client)) {
      this.count('ratelimited');
      return this.o.rateLimit.action === 'drop' ? undefined : buildReply(msg, query, { rcode: RCODE_REFUSED });
    }
    if (query.opcode !== 0) {
      this.count('notimp');
      return buildReply(msg, query, { rcode: RCODE_NOTIMP });
    }

    const asked: Asked = { msg, query, client, viaTcp, matcher: this.o.holder.current };
    const deciding = this.decide(asked.matcher, query, client);
    return deciding instanceof Promise ? deciding.then((d) => this.answer(asked, d)) : this.answer(asked, deciding);
  }

  /** After the name's decision: the block answer, or the upstream's answer (cached or fetched). */
  private answer(asked: Asked, decision: NameDecision): Reply | Promise<Reply> {
    const { msg, query, client } = asked;
    // An answer sluice builds itself speaks EDNS 0 only: BADVERS for a higher version (the
    // block reply does that). Forwarded queries keep their version: the upstream judges it.
    if (decision.verdict === 'block') {
      return this.block(msg, query, client, query.edns && query.edns.version > 0 ? 'badvers' : 'blocked', decision.indicator);
    }
    const cached = this.fromCache(msg, query);
    if (cached) return this.relay(asked, decision, cached);
    return this.fromUpstream(msg, query, asked.viaTcp).then((reply) => {
      if (reply) return this.relay(asked, decision, reply);
      this.finish(query, client, 'servfail');
      return buildReply(msg, query, { rcode: RCODE_SERVFAIL });
    });
  }

  /**
   * Relays an upstream answer once inspected. An allowlisted name is trusted whatever it
   * resolves to; a cached answer already found clean under this set version is not inspected
   * again.
   */
  private relay(asked: Asked, decision: NameDecision, reply: Upstream): Reply | Promise<Reply> {
    const { matcher } = asked;
    if (!matcher || decision.allowlisted || this.o.inspectAnswers === false || reply.inspected === matcher.version) {
      return this.release(asked, decision, reply, undefined, false);
    }
    const inspecting = this.inspect(matcher, reply.message, reply.records, asked.query, asked.client);
    if (inspecting instanceof Promise) return inspecting.then((found) => this.release(asked, decision, reply, found, true));
    return this.release(asked, decision, reply, inspecting, true);
  }

  private release(asked: Asked, decision: NameDecision, reply: Upstream, found: string | undefined, inspected: boolean): Buffer {
    const { msg, query, client } = asked;
    if (found) return this.block(msg, query, client, 'blocked', found);
    if (inspected && reply.records && this.o.cache) this.o.cache.markInspected(query.exactName, this.variantOf(query), asked.matcher!.version);
    this.finish(query, client, decision.verdict === 'monitor' ? 'monitored' : 'forwarded', decision.indicator);
    if (asked.viaTcp) return reply.message;
    const limit = query.edns ? query.edns.udpSize : 512;
    return reply.message.length > limit ? truncateReply(reply.message, query.questionEnd - HEADER_BYTES) : reply.message;
  }

  private block(msg: Buffer, query: Query, client: string, action: string, indicator: string | undefined): Buffer {
    this.finish(query, client, action, indicator);
    return buildBlockReply(msg, query, this.o.block);
  }

  /** Counts the outcome and writes the query log line. */
  private finish(query: Query, client: string, action: string, indicator?: string): void {
    this.count(action);
    this.o.queryLog?.write({ client, name: query.name, qtype: query.qtype, action, ...(indicator ? { indicator } : {}) });
  }

  /** The decision on the question name; a promise only where an edge set confirms in Redis. */
  private decide(matcher: Matcher | undefined, query: Query, client: string): NameDecision | Promise<NameDecision> {
    if (!matcher || query.name === '') return UNLISTED;
    const started = performance.now();
    const found = settle(matcher, () => matcher.lookupDomain(query.name));
    if (found instanceof Promise) return found.then((hit) => this.decided(matcher, hit, query, client, started));
    return this.decided(matcher, found, query, client, started);
  }

  private decided(matcher: Matcher, hit: Hit | undefined, query: Query, client: string, started: number): NameDecision {
    this.o.metrics.lookupDuration.observe((performance.now() - started) / 1000);
    const verdict = verdictOfHit(matcher, hit);
    this.countVerdict(verdict);
    if (!hit) return verdict === 'allow' ? UNLISTED : { verdict, allowlisted: false };
    if (verdict !== 'allow') this.recordHit(matcher, hit, query, client, verdict);
    return { verdict, allowlisted: hit.allowed, indicator: matcher.entryValue(hit.entry) };
  }

  /**
   * The first name or address in an upstream answer that is blocked: a CNAME chain into a
   * blocked name, an address inside a blocked network, an address hint of an HTTPS record.
   */
  private inspect(matcher: Matcher, reply: Buffer, records: RecordRef[] | undefined, query: Query, client: string): string | undefined | Promise<string | undefined> {
    const targets = answerTargets(reply, records ?? walkPrefix(reply, query.questionEnd).records);
    const found = settle(matcher, () => firstBlocked(matcher, targets));
    const report = (hit: Hit | undefined) => (hit ? this.answerHit(matcher, hit, query, client) : undefined);
    return found instanceof Promise ? found.then(report) : report(found);
  }

  private answerHit(matcher: Matcher, hit: Hit, query: Query, client: string): string {
    this.countVerdict('block');
    this.recordHit(matcher, hit, query, client, 'block');
    return matcher.entryValue(hit.entry);
  }

  private recordHit(matcher: Matcher, hit: Hit, query: Query, client: string, verdict: Verdict): void {
    const feeds = matcher.entryFeeds(hit.entry);
    const type = matcher.entryType(hit.entry);
    const fast = this.o.metrics.fast;
    for (const feed of feeds) fast.hits.add(`${feed}\u0000${type}`, { feed, type });
    const label = this.clientLabel(client);
    fast.clientHits.add(label, { client: label });
    this.o.onHit?.({ client, name: query.name, qtype: query.qtype, verdict, indicator: matcher.entryValue(hit.entry), feeds });
  }

  /**
   * Whether `client` may ask, remembered per address: parsing the address text took longer
   * than a cached answer's lookup. The ACL never changes while the handler lives.
   */
  private admits(client: string): boolean {
    let allowed = this.admitted.get(client);
    if (allowed === undefined) {
      allowed = this.o.acl.hasText(client);
      if (this.admitted.size >= ADMITTED_KEPT) this.admitted.clear();
      this.admitted.set(client, allowed);
    }
    return allowed;
  }

  /** A bounded set of client label values: the first N clients seen keep their own. */
  private clientLabel(client: string): string {
    if (this.labelled.has(client)) return client;
    if (this.labelled.size < (this.o.clientLabels ?? 50)) {
      this.labelled.add(client);
      return client;
    }
    return 'other';
  }

  private variantOf(query: Query): number {
    return variantOf(query.qtype, query.qclass, query.edns?.dnssecOk ?? false, (query.flags & 0x0010) !== 0);
  }

  /** The cached upstream answer to this question, rewritten for this client; undefined on a miss. */
  private fromCache(msg: Buffer, query: Query): Upstream | undefined {
    const cache = this.o.cache;
    if (!cache) return undefined;
    const cached = cache.get(query.exactName, this.variantOf(query), query.id, msg.subarray(HEADER_BYTES, query.questionEnd));
    this.o.metrics.fast.dnsCache.add(cached ? 'hit' : 'miss', { result: cached ? 'hit' : 'miss' });
    return cached;
  }

  /** The upstream's answer, with its records located, kept in the cache when it may be. */
  private async fromUpstream(msg: Buffer, query: Query, viaTcp: boolean): Promise<Upstream | undefined> {
    const reply = await this.o.forwarder.forward(msg, query, viaTcp);
    if (!reply) return undefined;
    const records = walkRecords(reply, query.questionEnd);
    // A truncated answer is incomplete; one that does not parse is relayed but never kept.
    const cache = this.o.cache;
    if (cache && records && !(reply[2]! & 0x02)) {
      const ttl = cacheTtl(reply, records);
      if (ttl !== undefined) cache.put(query.exactName, this.variantOf(query), reply, records, ttl);
    }
    return { message: reply, records };
  }

  private count(action: string): void {
    this.o.metrics.fast.dnsQueries.add(action, { action });
  }

  private countVerdict(verdict: Verdict): void {
    this.o.metrics.fast.verdicts.add(verdict, { type: 'domain', verdict });
  }
}

/** An address from an answer's rdata, in the form lookups take. */
function toParsedAddress(address: { family: 4 | 6; bytes: Uint8Array }): ParsedAddress {
  const b = address.bytes;
  if (address.family === 4) {
    const v4 = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
    return { family: 4, text: `${b[0]}.${b[1]}.${b[2]}.${b[3]}`, v4 };
  }
  const groups = Array.from({ length: 8 }, (_, i) => (b[i * 2]! << 8) | b[i * 2 + 1]!);
  // An IPv4-mapped answer is checked as the IPv4 address it is, as feeds' values are.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return toParsedAddress({ family: 4, bytes: b.subarray(12, 16) });
  }
  return { family: 6, text: formatIPv6(groups), v6: groups };
}
