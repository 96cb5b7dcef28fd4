// Table-driven tests of the wire reader: raw bytes in, a parsed query or a reason out.
// Every row is built byte by byte so the reader is checked against the RFC, not against itself.
import t from 'tap';
import '../helpers/quiet.js';
import { parseQuery, readName, type Edns, type QueryParse } from '../../src/dns/wire.js';
import { header, nameBytes, optRecord, u16 } from './harness.js';

const A = u16(1);
const IN = u16(1);
const label = (ch: string, n: number) => ch.repeat(n);
/** Four labels of 63, 63, 63 and `last` octets: 1 + 64 * 3 + (last + 1) octets on the wire. */
const longName = (last: number) => nameBytes([label('a', 63), label('b', 63), label('c', 63), label('d', last)]);

const example = nameBytes(['example', 'com']);
/** A query for `name` with the given additional records (zero or one). */
const q = (name: Buffer, ...rest: Buffer[]) =>
  Buffer.concat([header(0xbeef, 0x0100, 1, 0, 0, rest.length ? 1 : 0), name, A, IN, ...rest]);
/** A record owned by `owner` with the given type and rdata. */
const rr = (owner: Buffer, type: number, rdata = Buffer.alloc(0)) => {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, fixed, rdata]);
};

interface Accept {
  name: string;
  qtype?: number;
  opcode?: number;
  questionEnd?: number;
  edns?: Edns | undefined;
}
interface Row {
  name: string;
  msg: Buffer;
  /** Expected query fields, or a reason pattern and whether the id is kept for a FORMERR. */
  want: Accept | { reason: RegExp; id: boolean };
}

const accept = (name: string, msg: Buffer, want: Accept): Row => ({ name, msg, want });
const refuse = (name: string, msg: Buffer, reason: RegExp, id = true): Row => ({ name, msg, want: { reason, id } });
const edns = (udpSize: number, version = 0, dnssecOk = false): Edns => ({ udpSize, version, dnssecOk });
/** A header with the given section counts followed by raw parts. */
const raw = (counts: [number, number, number, number], ...parts: Buffer[]) =>
  Buffer.concat([header(9, 0x0100, ...counts), ...parts]);
const question = [example, A, IN];
const longText = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
const options = [
  { code: 10, data: Buffer.alloc(8, 7) },
  { code: 8, data: Buffer.from([0, 1, 24, 0, 192, 0, 2]) },
  { code: 100, data: Buffer.from('x') },
];

const rows: Row[] = [
  accept('a plain query', q(example), { name: 'example.com', qtype: 1, opcode: 0, questionEnd: 29, edns: undefined }),
  accept('mixed case is lower-cased', q(nameBytes(['ExAmPlE', 'CoM'])), { name: 'example.com' }),
  accept('the root name', q(Buffer.from([0])), { name: '', questionEnd: 17 }),
  accept('exactly 255 octets', q(longName(61)), { name: longText, questionEnd: 12 + 255 + 4 }),
  refuse('256 octets', q(longName(62)), /255 octets/),
  refuse('a 64-octet label (length byte 0x40)', q(nameBytes([label('a', 64), 'com'])), /reserved bits/),
  refuse('length byte 0x80', q(Buffer.from([0x80, 0x61, 0])), /reserved bits/),
  accept('a label with a literal dot', q(nameBytes(['bad.example', 'com'])), { name: 'bad.example.com', questionEnd: 33 }),
  refuse('a pointer to itself', q(Buffer.from([0xc0, 12])), /loops or points forward/),
  refuse('a forward pointer', q(Buffer.from([0xc0, 14, 0, 0])), /loops or points forward/),
  refuse('a backward pointer loop', q(Buffer.from([1, 0x61, 0xc0, 12])), /loops|255 octets/),
  refuse('a question compressed into the header (id bytes)', q(Buffer.from([0xc0, 0])), /into the header/),
  refuse('a question compressed into the header (flags)', q(Buffer.from([0xc0, 2])), /into the header/),
  refuse('a pointer cut off', raw([1, 0, 0, 0], Buffer.from([0xc0])), /cut off/),
  refuse('a label past the end', raw([1, 0, 0, 0], Buffer.from([7, 0x61, 0x62])), /past the end/),
  refuse('a name with no terminator', raw([1, 0, 0, 0], Buffer.from([3, 0x61, 0x62, 0x63])), /past the end/),
  refuse('type and class cut off', raw([1, 0, 0, 0], example, A), /question is cut off/),
  refuse('QDCOUNT 0', raw([0, 0, 0, 0], ...question), /question count is 0/),
  refuse('QDCOUNT 2', raw([2, 0, 0, 0], ...question, ...question), /question count is 2/),
  refuse('a response (QR set)', Buffer.concat([header(1, 0x8180, 1), ...question]), /response/, false),
  refuse('empty', Buffer.alloc(0), /shorter than a DNS header/, false),
  refuse('11 bytes', header(1, 0, 1).subarray(0, 11), /shorter than a DNS header/, false),
  accept('opcode STATUS is read', Buffer.concat([header(1, 0x1000, 1), ...question]), { name: 'example.com', opcode: 2 }),
  // EDNS (RFC 6891)
  accept('OPT version 0, 4096', q(example, optRecord({ udp: 4096 })), { name: 'example.com', edns: edns(4096) }),
  accept('OPT size below 512 is read as 512', q(example, optRecord({ udp: 100 })), { name: 'example.com', edns: edns(512) }),
  accept('OPT size 0 is read as 512', q(example, optRecord({ udp: 0 })), { name: 'example.com', edns: edns(512) }),
  accept('OPT version 1', q(example, optRecord({ version: 1 })), { name: 'example.com', edns: edns(1232, 1) }),
  accept('OPT DO bit', q(example, optRecord({ dnssecOk: true })), { name: 'example.com', edns: edns(1232, 0, true) }),
  accept('OPT with cookie, ECS and unknown 100 options', q(example, optRecord({ options })), {
    name: 'example.com',
    edns: edns(1232),
  }),
  accept(
    'a TSIG-like record before the OPT in additional',
    raw([1, 0, 0, 2], ...question, rr(nameBytes(['key']), 250, Buffer.alloc(6)), optRecord({ udp: 2048 })),
    { name: 'example.com', edns: edns(2048) },
  ),
  refuse('OPT in the answer section', raw([1, 1, 0, 0], ...question, optRecord()), /misplaced/),
  refuse('OPT in the authority section', raw([1, 0, 1, 0], ...question, optRecord()), /misplaced/),
  refuse('two OPT records', raw([1, 0, 0, 2], ...question, optRecord(), optRecord()), /repeated/),
  refuse('OPT owned by a non-root name', q(example, optRecord({ owner: nameBytes(['x']) })), /misplaced/),
  refuse('OPT owner byte corrupted to 0x01', q(example, optRecord({ owner: Buffer.from([1]) })), /record 1/),
  refuse('ARCOUNT 1 with nothing after the question', raw([1, 0, 0, 1], ...question), /record 1/),
  refuse(
    'OPT rdata longer than the message',
    q(example, optRecord({ options: [{ code: 100, data: Buffer.alloc(4) }] }).subarray(0, 13)),
    /record 1/,
  ),
];

t.test('parseQuery over the table', async (t) => {
  for (const row of rows) {
    const got: QueryParse = parseQuery(row.msg);
    if ('reason' in row.want) {
      t.equal(got.ok, false, `${row.name}: refused`);
      if (got.ok) continue;
      t.match(got.reason, row.want.reason, `${row.name}: reason`);
      if (row.want.id) t.equal(got.id, row.msg.readUInt16BE(0), `${row.name}: id kept so FORMERR can be sent`);
      else t.equal(got.id, undefined, `${row.name}: no id, so nothing is sent back`);
      continue;
    }
    t.equal(got.ok, true, `${row.name}: accepted`);
    if (!got.ok) continue;
    const want = row.want;
    t.equal(got.query.name, want.name, `${row.name}: name`);
    t.equal(got.query.id, row.msg.readUInt16BE(0), `${row.name}: id`);
    if (want.qtype !== undefined) t.equal(got.query.qtype, want.qtype, `${row.name}: qtype`);
    if (want.opcode !== undefined) t.equal(got.query.opcode, want.opcode, `${row.name}: opcode`);
    if (want.questionEnd !== undefined) t.equal(got.query.questionEnd, want.questionEnd, `${row.name}: question end`);
    if ('edns' in want) t.same(got.query.edns, want.edns, `${row.name}: edns`);
  }
});

t.test('the four junk datagrams of PUB-024 are refused without a throw', async (t) => {
  const junk = [
    ['746573740a', false],
    ['0102030405', false],
    ['12340100000100000000000003616263', true],
    ['0a0b01000001000000000001076578616d706c6503636f6d00000100010100291000000000000000', true],
  ] as const;
  for (const [hex, hasId] of junk) {
    const got = parseQuery(Buffer.from(hex, 'hex'));
    t.equal(got.ok, false, `${hex} refused`);
    if (!got.ok) t.equal(got.id !== undefined, hasId, `${hex}: ${hasId ? 'header readable' : 'no header'}`);
  }
});

t.test('readName follows backward pointers and reports where the name ended', async (t) => {
  // example.com at 12, then at 25 the name "www" + pointer to 12.
  const msg = Buffer.concat([header(1, 0, 1), example, Buffer.from([3, 0x77, 0x57, 0x77, 0xc0, 12])]);
  t.same(readName(msg, 12), { text: 'example.com', end: 25 });
  t.same(readName(msg, 25), { text: 'www.example.com', end: 31 }, 'end is just past the pointer, not past the target');
  const chained = Buffer.concat([msg, Buffer.from([0xc0, 25])]);
  t.same(readName(chained, 31), { text: 'www.example.com', end: 33 }, 'a chain of pointers');
});

t.test('readName refuses loops, forward pointers and overlong names', async (t) => {
  const loops: Array<[string, Buffer, number]> = [
    ['two pointers pointing at each other', Buffer.concat([header(1, 0, 1), Buffer.from([0xc0, 14, 0xc0, 12])]), 14],
    ['a label then a pointer back to it', Buffer.concat([header(1, 0, 1), Buffer.from([1, 0x61, 0xc0, 12])]), 12],
    ['a pointer to the next byte', Buffer.concat([header(1, 0, 1), Buffer.from([0xc0, 14, 0])]), 12],
    ['a pointer past the end', Buffer.concat([header(1, 0, 1), Buffer.from([0, 0xff, 0xff])]), 13],
    ['a pointer into the header after a label', Buffer.concat([header(1, 0, 1), Buffer.from([1, 0x61, 0xc0, 11])]), 12],
  ];
  for (const [what, msg, at] of loops) t.type(readName(msg, at), 'string', what);

  // 200 + 60 octets: each part is fine, together they are over 255 via the pointer.
  const first = nameBytes([label('a', 63), label('b', 63), label('c', 63), label('d', 9)]);
  const msg = Buffer.concat([header(1, 0, 1), first, Buffer.from([59]), Buffer.alloc(59, 0x65), Buffer.from([0xc0, 12])]);
  t.match(readName(msg, 12), { text: /^a{63}\./ }, 'the first name alone is fine');
  t.match(readName(msg, 12 + first.length), /255 octets/, 'a pointer cannot stretch a name past 255 octets');
});

t.test('readName keeps every byte of a label and lower-cases only ASCII letters', async (t) => {
  const msg = Buffer.concat([header(1, 0, 1), nameBytes([Buffer.from([0x41, 0x5a, 0x5b, 0x40, 0xc4, 0x2d])])]);
  const got = readName(msg, 12);
  t.same(got, { text: 'az[@\u00c4-', end: 20 });
});
