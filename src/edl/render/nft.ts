import type { ListFormat } from './types.js';

/**
 * An `nft -f` file: interval sets `<set_name>_v4` and `<set_name>_v6` in table inet sluice.
 * The sets are declared, flushed and filled in one file, and nft applies a file as one
 * transaction: a reload replaces the contents at once and drops entries no longer listed.
 * Rules of your own in the same table stay. Aggregated networks never overlap, which interval
 * sets require, and an empty set has no `elements` (nft refuses an empty element list).
 */
export const nftFormat: ListFormat = {
  contentType: 'text/plain; charset=utf-8',
  kinds: ['ip'],
  pages: false,
  aggregateIps: true,
  withholdsWildcards: false,
  ipUnit: (cidr) => cidr,
  entryUnits: () => [],
  document(ctx, page) {
    const sets = [
      { name: `${ctx.list.set_name}_v4`, type: 'ipv4_addr', elements: page.units.filter((u) => !u.includes(':')) },
      { name: `${ctx.list.set_name}_v6`, type: 'ipv6_addr', elements: page.units.filter((u) => u.includes(':')) },
    ];
    const lines = [
      `# ${page.title}${page.units.length === 0 ? ': no entries' : `, ${page.units.length} networks`}`,
      ...page.notes.map((n) => `# ${n}`),
      'table inet sluice {',
      ...sets.map((s) => `\tset ${s.name} { type ${s.type}; flags interval; }`),
      '}',
      ...sets.map((s) => `flush set inet sluice ${s.name}`),
    ];
    const filled = sets.filter((s) => s.elements.length > 0);
    if (filled.length > 0) {
      lines.push('table inet sluice {');
      for (const s of filled) {
        lines.push(`\tset ${s.name} {`, `\t\ttype ${s.type}; flags interval;`, '\t\telements = {');
        lines.push(s.elements.map((e) => `\t\t\t${e}`).join(',\n'));
        lines.push('\t\t}', '\t}');
      }
      lines.push('}');
    }
    return `${lines.join('\n')}\n`;
  },
};
