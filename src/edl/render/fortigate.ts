import { plainFormat } from './plain.js';
import type { ListFormat } from './types.js';

/**
 * FortiGate external threat feeds, one entry a line, one feed type per list:
 *  - IP address feed: an IPv4 or IPv6 address, range or subnet a line (we write aggregated
 *    networks);
 *  - domain name feed: a name a line, with simple wildcards, so `*.name` covers what lies below;
 *  - FortiGuard category (URL) feed: URLs with or without scheme (we write `host/path`, which
 *    matches both);
 *  - malware hash feed: `<hash> [description]` (we write the hash alone).
 * FortiOS counts lines it cannot read as error lines and skips them, so `#` notes are harmless.
 * That is what PAN-OS takes too: the same rendering.
 */
export const fortigateFormat: ListFormat = { ...plainFormat }; // the same lines as PAN-OS takes
