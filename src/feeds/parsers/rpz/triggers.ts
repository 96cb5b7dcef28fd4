/**
 * What an RPZ record means (draft-vixie-dnsop-dns-rpz): the trigger is read from the owner
 * name relative to the zone apex, the action from the record's data.
 */

export type Trigger =
  | { kind: 'qname'; name: string; wildcard: boolean }
  | { kind: 'ip'; cidr: string }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'bad'; reason: string };

export type Action =
  | { kind: 'block'; tags?: string[] }
  | { kind: 'allow' }
  | { kind: 'skip'; reason: string }
  | { kind: 'bad'; reason: string };

const UNSUPPORTED_TRIGGERS = new Set(['rpz-nsdname', 'rpz-nsip', 'rpz-client-ip']);
const LOCAL_DATA: Action = { kind: 'skip', reason: 'unsupported action: local data' };

export function triggerOf(name: string): Trigger {
  const labels = name.split('.');
  const last = labels.at(-1)!;
  if (UNSUPPORTED_TRIGGERS.has(last)) return { kind: 'unsupported', reason: `unsupported trigger: ${last}` };
  if (last === 'rpz-ip') return ipTrigger(labels.slice(0, -1));
  const wildcard = name.startsWith('*.');
  const base = wildcard ? name.slice(2) : name;
  if (base.includes('*')) return { kind: 'bad', reason: 'a wildcard may only be the first label' };
  return { kind: 'qname', name: base, wildcard };
}

/**
 * `<prefix>.<address labels, last first>.rpz-ip`: 24.0.113.0.203 is 203.0.113.0/24; IPv6 groups
 * are hex, and one `zz` stands for the run of zero groups that `::` stands for.
 */
function ipTrigger(labels: string[]): Trigger {
  const [prefix, ...reversed] = labels;
  if (prefix === undefined || !/^\d{1,3}$/.test(prefix)) return { kind: 'bad', reason: 'rpz-ip trigger without a prefix length' };
  const groups = reversed.reverse();
  if (groups.length === 4 && groups.every((g) => /^\d{1,3}$/.test(g))) {
    if (Number(prefix) > 32) return { kind: 'bad', reason: 'rpz-ip prefix length over 32 for an IPv4 address' };
    return { kind: 'ip', cidr: `${groups.join('.')}/${Number(prefix)}` };
  }
  if (!groups.every((g) => g === 'zz' || /^[0-9a-f]{1,4}$/.test(g))) return { kind: 'bad', reason: 'rpz-ip trigger is not an address' };
  const zz = groups.indexOf('zz');
  let address: string;
  if (zz < 0) {
    if (groups.length !== 8) return { kind: 'bad', reason: 'rpz-ip trigger is not an address' };
    address = groups.join(':');
  } else {
    if (groups.lastIndexOf('zz') !== zz || groups.length > 8) return { kind: 'bad', reason: 'rpz-ip trigger is not an address' };
    address = `${groups.slice(0, zz).join(':')}::${groups.slice(zz + 1).join(':')}`;
  }
  if (Number(prefix) > 128) return { kind: 'bad', reason: 'rpz-ip prefix length over 128' };
  return { kind: 'ip', cidr: `${address}/${Number(prefix)}` };
}

/** The policy of a record. Anything but the special CNAME targets is local data, never a block. */
export function actionOf(type: string, rdata: string[]): Action {
  if (type !== 'CNAME') return LOCAL_DATA;
  if (rdata.length !== 1) return { kind: 'bad', reason: 'CNAME with other than one target' };
  switch (rdata[0]!.toLowerCase()) {
    case '.':
      return { kind: 'block' };
    case '*.':
      return { kind: 'block', tags: ['rpz:nodata'] };
    case 'rpz-passthru.':
      return { kind: 'allow' };
    case 'rpz-drop.':
      return { kind: 'block', tags: ['rpz:drop'] };
    case 'rpz-tcp-only.':
      return { kind: 'skip', reason: 'unsupported action: rpz-tcp-only' };
    default:
      return LOCAL_DATA;
  }
}
