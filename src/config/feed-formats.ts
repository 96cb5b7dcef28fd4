/**
 * The formats a feed may name. The config owns the names; feeds/parsers maps each to its parser
 * (a Record over this type, so a name without a parser does not compile).
 */
export const FEED_FORMATS = ['text', 'hosts', 'adblock', 'csv', 'json', 'stix', 'taxii', 'misp', 'rpz'] as const;

export type FeedFormat = (typeof FEED_FORMATS)[number];
