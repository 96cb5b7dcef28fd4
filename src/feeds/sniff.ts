import { FeedParseError } from '../errors.js';

// An XML prolog (XHTML) and comments may come first: generators and proxies put them there.
// A comment may not run past its own "-->", so a run of them is read one way only: no
// backtracking blow-up on a body of many comments.
const COMMENTS = String.raw`(?:<!--(?:(?!-->)[\s\S])*-->\s*)*`;
const HTML_START = new RegExp(
  String.raw`^\s*(?:<\?xml[^>]*\?>\s*)?${COMMENTS}(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])`,
  'i',
);

/**
 * Refuses a body that is not a feed at all before any parser sees it: an empty body, an HTML
 * page (login walls, repository viewers and maintenance pages answer 200 with HTML, whose
 * tokens would otherwise be read as indicators) and binary data.
 */
export function sniffBody(body: Buffer, contentType: string | undefined): void {
  const head = body.subarray(0, 4096).toString('utf8').replace(/^\ufeff/, '');
  if (head.trim() === '' && body.toString('utf8').trim() === '') {
    throw new FeedParseError('empty body');
  }
  if (/^text\/html\b/i.test(contentType ?? '') || HTML_START.test(head)) {
    throw new FeedParseError(`body is an HTML page, not a feed (content type ${contentType ?? 'unknown'})`);
  }
  if (body.subarray(0, 4096).includes(0)) {
    throw new FeedParseError('body is binary data, not a feed');
  }
}
