import type { EdlFormat } from '../lists.js';
import { csvFormat } from './csv.js';
import { fortigateFormat } from './fortigate.js';
import { hostsFormat } from './hosts.js';
import { ipsetFormat } from './ipset.js';
import { nftFormat } from './nft.js';
import { plainFormat } from './plain.js';
import { rpzFormat } from './rpz.js';
import { stixFormat } from './stix.js';
import type { ListFormat } from './types.js';

export type { ListFormat, RenderContext } from './types.js';

/** Every format a named list may have (the schema's EDL_FORMATS). */
export const FORMATS: Record<EdlFormat, ListFormat> = {
  plain: plainFormat,
  fortigate: fortigateFormat,
  ipset: ipsetFormat,
  nft: nftFormat,
  rpz: rpzFormat,
  hosts: hostsFormat,
  csv: csvFormat,
  stix: stixFormat,
};
