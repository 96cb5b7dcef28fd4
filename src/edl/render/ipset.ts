import type { ListFormat, PageText } from './types.js';

/**
 * Every set is created with this limit, whatever the list's length: `create -exist` fails on
 * a set whose parameters differ, so a limit that followed the list would break the next load
 * once the list grew. A hash set allocates as it fills; the limit itself costs nothing.
 */
export const IPSET_MAXELEM = 16_777_216;

/** ipset names are at most 31 characters; the longest we make is `<set_name>-v4-tmp`. */
export const IPSET_SUFFIX = '-v4-tmp';

/**
 * An `ipset restore` file: a hash:net set per family, `<set_name>-v4` and `<set_name>-v6`.
 * Each is filled under a temporary name and swapped in, so a reload drops entries no longer
 * listed and the live set is never half full; iptables rules that use the set keep working
 * across the swap. Load with `ipset restore < file` (ipset sets are per network namespace).
 */
export const ipsetFormat: ListFormat = {
  contentType: 'text/plain; charset=utf-8',
  kinds: ['ip'],
  pages: false,
  aggregateIps: true,
  withholdsWildcards: false,
  ipUnit: (cidr) => cidr,
  entryUnits: () => [],
  document(ctx, page) {
    const name = ctx.list.set_name;
    const lines = [...comments(page)];
    for (const [family, suffix, v6] of [['inet', '-v4', false], ['inet6', '-v6', true]] as const) {
      const set = `${name}${suffix}`;
      const tmp = `${set}-tmp`;
      const create = `hash:net family ${family} maxelem ${IPSET_MAXELEM} -exist`;
      lines.push(`create ${set} ${create}`, `create ${tmp} ${create}`, `flush ${tmp}`);
      for (const cidr of page.units) if (cidr.includes(':') === v6) lines.push(`add ${tmp} ${cidr} -exist`);
      lines.push(`swap ${tmp} ${set}`, `destroy ${tmp}`);
    }
    return `${lines.join('\n')}\n`;
  },
};

function comments(page: PageText): string[] {
  return [`# ${page.title}${page.units.length === 0 ? ': no entries' : `, ${page.units.length} networks`}`, ...page.notes.map((n) => `# ${n}`)];
}
