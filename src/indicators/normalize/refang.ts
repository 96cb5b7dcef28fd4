/**
 * Reverses the defanging conventions analysts use when sharing indicators (`hxxp`, `[.]`,
 * `(dot)`, `[:]`, `[/]`). Only well-known markers are reversed; anything else, such as
 * `{.}`, is left alone so that validation reports it rather than a guess being enforced.
 */

// Only before the scheme's colon (`[:]` and `[://]` are undone first): a name such as
// hxxpool.example.com is a name, not a defanged URL. ftp is defanged as fxp (or fxxp).
const SCHEME_MARKERS: Array<[RegExp, string]> = [
  [/^h(?:xx|XX|Xx|xX)p(s?):/, 'http$1:'],
  [/^f(?:xx|XX|x|X)p:/, 'ftp:'],
];

const INFIX_MARKERS: Array<[RegExp, string]> = [
  [/\[\.\]|\(\.\)|\[dot\]|\(dot\)|\[DOT\]|\(DOT\)/g, '.'],
  [/\[:\]/g, ':'],
  [/\[\/\]/g, '/'],
  [/\[:\/\/\]/g, '://'],
  [/\[@\]|\[at\]/g, '@'],
];

const HAS_MARKER = /^h[xX]{2}p|^f[xX]{1,2}p|\[|\(dot\)|\(DOT\)|\(\.\)/;

/** Returns the refanged text, or the text itself when it carries no marker. */
export function refang(text: string): string {
  if (!HAS_MARKER.test(text)) return text;

  let out = text;
  for (const [pattern, replacement] of INFIX_MARKERS) out = out.replace(pattern, replacement);
  for (const [pattern, replacement] of SCHEME_MARKERS) out = out.replace(pattern, replacement);
  return out;
}
