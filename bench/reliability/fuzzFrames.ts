/**
 * Seeded generators of hostile RPC input, shared by the reliability bench and the CI fuzz tests.
 * The same seed gives the same frames, so a failure reproduces from the seed and the frame's index.
 *
 * Every generated case says what the server must do with it:
 *   answer  - a typed error result (bad_request / unknown_channel / forbidden) for each listed id
 *   drop    - nothing at all (no id to answer to, or a binary frame)
 *   close   - the WebSocket is closed (invalid UTF-8, broken framing, a frame over the size limit)
 * A payload aimed at a real channel is checked against that channel's schema here and made invalid
 * if it happened to pass, so "answer: bad_request" holds by construction.
 */
import { channels, type ChannelName, type ErrorCode } from '../../shared/rpc/contract';

/** mulberry32: small, fast, good enough to spread cases; reproducible across machines. */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const bytes = (n: number): Buffer => {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
    return out;
  };
  return { next, int, pick, bytes };
}
export type Random = ReturnType<typeof createRandom>;

export const CHANNEL_NAMES = Object.keys(channels) as ChannelName[];

/** Names that are not channels but look like one, or live on every object's prototype. */
export const HOSTILE_CHANNEL_NAMES = [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__',
  'isPrototypeOf', 'app.info ', ' app.info', 'APP.INFO', 'app.info\u0000', 'app', '', '.', 'shell.exec',
  'library.page.__proto__', 'fs.readFile', 'process.exit', 'require', '\u202eofni.ppa', 'app\u2024info',
];

const NAN_LIKE = ['NaN', 'Infinity', '-Infinity', '-0', '0x10', '1e3', ' 1', '1_000', 'null', 'undefined', 'true', '[]', '{}', '0.1.2', '\u0661'];
/** Raw JSON number texts: JSON.parse turns 1e999 into Infinity and 1e-400 into 0. */
const HUGE_NUMBER_TEXTS = ['1e999', '-1e999', '1e308', '-1.7976931348623157e308', '9007199254740993', '-9007199254740993', '1e-400', '4294967296', '-1', '0.5', '123456789012345678901234567890', '-0'];

export interface WsSend {
  data: string | Buffer;
  /** Send as a binary WebSocket frame. */
  binary?: boolean;
  /** Write the bytes straight to the TCP socket, below WebSocket framing. */
  raw?: boolean;
}

export type Expectation =
  | { kind: 'answer'; ids: number[]; codes: ErrorCode[] }
  | { kind: 'drop' }
  | { kind: 'close' };

export interface WsCase {
  kind: string;
  sends: WsSend[];
  expect: Expectation;
}

export interface FuzzOptions {
  /** Largest oversized string, in bytes (the bench uses MBs; CI less). */
  maxStringBytes?: number;
  /** Nesting depth of the deep cases. */
  depth?: number;
}

const DEFAULT_MAX_STRING = 4 * 1024 * 1024;
const DEFAULT_DEPTH = 10_000;

/** Weighted kinds: the connection-closing ones are rarer (each costs a new handshake). */
const WS_KINDS: Array<[string, number]> = [
  ['wrong_types', 14],
  ['huge_numbers', 8],
  ['nan_strings', 8],
  ['deep_nesting', 4],
  ['deep_frame', 2],
  ['oversized_string', 2],
  ['unknown_channel', 10],
  ['proto_pollution', 8],
  ['binary_garbage', 6],
  ['text_garbage', 8],
  ['bad_ids', 8],
  ['duplicate_ids', 5],
  ['out_of_order_ids', 5],
  ['server_reply', 6],
  ['invalid_utf8', 2],
  ['wire_garbage', 1],
  ['oversize_frame', 1],
];

function weightedPick(random: Random, kinds: Array<[string, number]>): string {
  const total = kinds.reduce((sum, [, w]) => sum + w, 0);
  let r = random.next() * total;
  for (const [kind, weight] of kinds) {
    r -= weight;
    if (r < 0) return kind;
  }
  return kinds[kinds.length - 1]![0];
}

function fieldsOf(channel: ChannelName): string[] {
  const shape = (channels[channel].request as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

/** A value of a type the field does not take (most fields are numbers, ids or short strings). */
function wrongValue(random: Random): unknown {
  return random.pick<unknown>([
    'seven', true, false, [], [1, 2, 3], {}, { id: 1 }, 1.5, -1, 0, '', ['a'], { $gt: 0 }, '1', [null], 'a'.repeat(300),
  ]);
}

/** Turns a payload the channel's schema accepts into one it refuses. */
function ensureInvalid(channel: ChannelName, payload: Record<string, unknown>): Record<string, unknown> {
  return channels[channel].request.safeParse(payload).success ? { ...payload, __fuzz_unknown_key: 1 } : payload;
}

function payloadText(channel: ChannelName, payload: Record<string, unknown>, rawFields: Record<string, string> = {}): string {
  const json = JSON.stringify(ensureInvalid(channel, payload));
  const extra = Object.entries(rawFields).map(([k, v]) => `${JSON.stringify(k)}:${v}`);
  if (extra.length === 0) return json;
  return checked(channel, json === '{}' ? `{${extra.join(',')}}` : `${json.slice(0, -1)},${extra.join(',')}}`);
}

/** Payload text as the server will parse it; if the channel would accept it, an unknown key spoils it. */
function checked(channel: string, text: string): string {
  if (!Object.prototype.hasOwnProperty.call(channels, channel)) return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  const accepted = channels[channel as ChannelName].request.safeParse(value ?? {}).success;
  if (!accepted) return text;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return text.trim() === '{}' ? '{"__fuzz_unknown_key":1}' : `${text.trim().slice(0, -1)},"__fuzz_unknown_key":1}`;
  }
  return '[]';
}

function requestText(id: unknown, channel: string, payload: string): string {
  return `{"kind":"request","id":${JSON.stringify(id)},"channel":${JSON.stringify(channel)},"payload":${payload}}`;
}

function nested(depth: number, random: Random): string {
  return random.next() < 0.5 ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A channel with at least one required field, so a missing payload is still a bad request. */
function channelWithFields(random: Random): ChannelName {
  const candidates = CHANNEL_NAMES.filter((name) => !channels[name].request.safeParse({}).success);
  return random.pick(candidates);
}

function invalidUtf8(random: Random): Buffer {
  const bad = random.pick([
    Buffer.from([0xc3, 0x28]), Buffer.from([0xa0, 0xa1]), Buffer.from([0xe2, 0x28, 0xa1]), Buffer.from([0xf0, 0x28, 0x8c, 0xbc]),
    Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf]),
  ]);
  return Buffer.concat([Buffer.from('{"kind":"request","id":1,"channel":"'), bad, Buffer.from('"}')]);
}

/** Bytes that cannot start a client frame: RSV2/RSV3 set, so the server fails the frame at once. */
function wireGarbage(random: Random): Buffer {
  const bytes = random.bytes(random.int(2, 64));
  bytes[0] = 0x70 | (bytes[0]! & 0x8f);
  return bytes;
}

/** A masked text frame header announcing 2^40 bytes: must be refused from the header alone. */
export function oversizeFrameHeader(): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(2n ** 40n, 2);
  header.writeUInt32BE(0x12345678, 10);
  return header;
}

export interface WsGenerator {
  next(): WsCase;
}

export function createWsFuzz(seed: number, options: FuzzOptions = {}): WsGenerator {
  const random = createRandom(seed);
  const maxString = options.maxStringBytes ?? DEFAULT_MAX_STRING;
  const depth = options.depth ?? DEFAULT_DEPTH;
  let nextId = 1;
  const id = () => nextId++;

  function make(kind: string): WsCase {
    const channel = random.pick(CHANNEL_NAMES);
    const fields = fieldsOf(channel);
    const field = fields.length > 0 ? random.pick(fields) : 'unexpected';
    const bad = (n: number, code: ErrorCode = 'bad_request'): Expectation => ({ kind: 'answer', ids: [n], codes: [code] });
    switch (kind) {
      case 'wrong_types': {
        const n = id();
        const payload = random.next() < 0.2
          ? random.pick<string>(['[]', '[1,2]', '7', '"text"', 'true', '-1.5', '"{}"', 'false', '0'])
          : payloadText(channel, Object.fromEntries(fields.map((f) => [f, f === field || random.next() < 0.5 ? wrongValue(random) : 1])));
        return { kind, sends: [{ data: requestText(n, channel, payload) }], expect: bad(n) };
      }
      case 'huge_numbers': {
        const n = id();
        const target = fields.length > 0 ? field : 'offset';
        const payload = payloadText(channel, {}, { [target]: random.pick(HUGE_NUMBER_TEXTS) });
        return { kind, sends: [{ data: requestText(n, channel, payload) }], expect: bad(n) };
      }
      case 'nan_strings': {
        const n = id();
        const payload = payloadText(channel, { [field]: random.pick(NAN_LIKE) });
        return { kind, sends: [{ data: requestText(n, channel, payload) }], expect: bad(n) };
      }
      case 'deep_nesting': {
        const n = id();
        const payload = payloadText(channel, {}, { [field]: nested(depth, random) });
        return { kind, sends: [{ data: requestText(n, channel, payload) }], expect: bad(n) };
      }
      case 'deep_frame':
        // The whole frame is a deeply nested array or object: no id at the top, so nothing to answer.
        return { kind, sends: [{ data: nested(depth, random) }], expect: { kind: 'drop' } };
      case 'oversized_string': {
        const n = id();
        const size = random.int(Math.floor(maxString / 4), maxString);
        const inChannel = random.next() < 0.3;
        const big = 'x'.repeat(size);
        if (inChannel) return { kind, sends: [{ data: requestText(n, big, '{}') }], expect: bad(n, 'unknown_channel') };
        const payload = random.next() < 0.5 ? payloadText(channel, { [field]: big }) : payloadText(channel, { [big]: 1 });
        return { kind, sends: [{ data: requestText(n, channel, payload) }], expect: bad(n) };
      }
      case 'unknown_channel': {
        const n = id();
        const name = random.next() < 0.6 ? random.pick(HOSTILE_CHANNEL_NAMES) : `${random.pick(['x', 'library', 'app', 'fs'])}.${random.bytes(4).toString('hex')}`;
        return { kind, sends: [{ data: requestText(n, name, '{}') }], expect: bad(n, 'unknown_channel') };
      }
      case 'proto_pollution': {
        const n = id();
        const variant = random.int(0, 3);
        const target = channelWithFields(random);
        let text: string;
        if (variant === 0) text = requestText(n, target, checked(target, '{"__proto__":{"isAdmin":true,"offset":0,"limit":1}}'));
        else if (variant === 1) text = requestText(n, target, checked(target, '{"constructor":{"prototype":{"polluted":true}}}'));
        else if (variant === 2) text = requestText(n, target, checked(target, `{"${fieldsOf(target)[0]}":{"__proto__":{"polluted":true}}}`));
        // A payload hidden on the frame's prototype must not be picked up as the payload.
        else text = `{"kind":"request","id":${n},"channel":"${target}","__proto__":{"payload":{"offset":0,"limit":1,"id":1}}}`;
        return { kind, sends: [{ data: text }], expect: bad(n) };
      }
      case 'binary_garbage': {
        const bytes = random.next() < 0.5 ? random.bytes(random.int(1, 4096)) : Buffer.from(requestText(id(), 'app.info', '{}'));
        return { kind, sends: [{ data: bytes, binary: true }], expect: { kind: 'drop' } };
      }
      case 'text_garbage': {
        const data = random.pick<() => string>([
          () => random.bytes(random.int(1, 512)).toString('latin1'),
          () => random.pick(['null', '[]', '42', '"request"', 'true', '{', '}', '{"kind":"request"', 'NaN', '{"id":NaN}', '']),
          () => `[${requestText(1, 'app.info', '{}')}]`,
          () => '{"kind":"request","channel":"app.info","payload":{}}',
        ])();
        return { kind, sends: [{ data }], expect: { kind: 'drop' } };
      }
      case 'bad_ids': {
        const badId = random.pick<unknown>([-1, 1.5, '7', null, true, [1], { n: 1 }, 2 ** 60, -0.0001, 'NaN']);
        return { kind, sends: [{ data: requestText(badId, channel, '{}') }], expect: { kind: 'drop' } };
      }
      case 'duplicate_ids': {
        const n = id();
        const target = channelWithFields(random);
        const one = requestText(n, target, '{}');
        return { kind, sends: [{ data: one }, { data: one }], expect: { kind: 'answer', ids: [n, n], codes: ['bad_request', 'bad_request'] } };
      }
      case 'out_of_order_ids': {
        const ids = [id(), id(), id()].reverse();
        const target = channelWithFields(random);
        return {
          kind,
          sends: ids.map((n) => ({ data: requestText(n, target, '{}') })),
          expect: { kind: 'answer', ids, codes: ids.map(() => 'bad_request' as const) },
        };
      }
      case 'server_reply': {
        if (random.next() < 0.6) {
          const n = id();
          const result = random.pick(['{"ok":true,"value":{"version":"9","mode":"browser"}}', '{"ok":false,"code":"internal","message":"x"}', 'null']);
          return { kind, sends: [{ data: `{"kind":"result","id":${n},"result":${result}}` }], expect: bad(n) };
        }
        return { kind, sends: [{ data: '{"kind":"event","event":"library.changed","payload":{"added":1,"folderIds":[]}}' }], expect: { kind: 'drop' } };
      }
      case 'invalid_utf8':
        return { kind, sends: [{ data: invalidUtf8(random) }], expect: { kind: 'close' } };
      case 'wire_garbage':
        return { kind, sends: [{ data: wireGarbage(random), raw: true }], expect: { kind: 'close' } };
      case 'oversize_frame':
        return { kind, sends: [{ data: oversizeFrameHeader(), raw: true }], expect: { kind: 'close' } };
      default:
        throw new Error(`unknown fuzz kind ${kind}`);
    }
  }

  return { next: () => make(weightedPick(random, WS_KINDS)) };
}

// ---------------------------------------------------------------------------------------------
// IPC: values as Electron's structured clone delivers them (no functions, but Maps, Dates, BigInts,
// typed arrays, NaN, cycles...), and senders that pass or fail the sender check.
// ---------------------------------------------------------------------------------------------

export interface IpcSender {
  senderFrame: { url: string; parent: unknown } | null;
}

export interface IpcCase {
  kind: string;
  event: IpcSender;
  channel: unknown;
  payload: unknown;
  expect: ErrorCode;
}

export const OWN_PAGE_URL = 'file:///opt/Simila/resources/app.asar/out/renderer/index.html';

const FOREIGN_SENDERS: Array<() => IpcSender> = [
  () => ({ senderFrame: null }),
  () => ({ senderFrame: { url: OWN_PAGE_URL, parent: {} } }), // our page, but in a sub-frame
  () => ({ senderFrame: { url: 'https://evil.example/', parent: null } }),
  () => ({ senderFrame: { url: 'file:///etc/passwd', parent: null } }),
  () => ({ senderFrame: { url: 'file://evil-host/opt/Simila/resources/app.asar/out/renderer/index.html', parent: null } }),
  () => ({ senderFrame: { url: `${OWN_PAGE_URL}/../../../x.html`, parent: null } }),
  () => ({ senderFrame: { url: 'javascript:alert(1)', parent: null } }),
  () => ({ senderFrame: { url: 'about:blank', parent: null } }),
  () => ({ senderFrame: { url: '', parent: null } }),
  () => ({ senderFrame: { url: 'http://localhost:5173/', parent: null } }), // a dev server in a packaged app
  () => ({ senderFrame: { url: 'x'.repeat(100_000), parent: null } }),
  () => ({
    get senderFrame(): never {
      throw new Error('Render frame was disposed before WebFrameMain could be accessed');
    },
  }),
];

function cloneableOddity(random: Random, depth: number, maxString: number): unknown {
  return random.pick<() => unknown>([
    () => NaN,
    () => Infinity,
    () => -0,
    () => 10n ** 30n,
    () => new Date(8.64e15 + 1),
    () => new Map([[1, 2]]),
    () => new Set([1]),
    () => new Uint8Array(random.int(0, 1024)),
    () => new ArrayBuffer(16),
    () => /x/g,
    () => new Error('boom'),
    () => {
      const cycle: Record<string, unknown> = { offset: 0, limit: 10 };
      cycle.self = cycle;
      return cycle;
    },
    // eslint-disable-next-line no-sparse-arrays
    () => [1, , 3],
    () => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = { a: value };
      return value;
    },
    () => 'y'.repeat(random.int(1, maxString)),
    () => JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
    () => Object.create(null),
    () => undefined,
    () => null,
  ])();
}

const IPC_KINDS: Array<[string, number]> = [
  ['foreign_sender', 15],
  ['non_string_channel', 10],
  ['unknown_channel', 12],
  ['wrong_types', 20],
  ['cloneable_oddity', 25],
  ['proto_pollution', 10],
  ['oversized_string', 3],
  ['deep_nesting', 5],
];

export function createIpcFuzz(seed: number, options: FuzzOptions = {}): { next(): IpcCase } {
  const random = createRandom(seed);
  const maxString = options.maxStringBytes ?? DEFAULT_MAX_STRING;
  const depth = options.depth ?? DEFAULT_DEPTH;
  const own = (): IpcSender => ({ senderFrame: { url: random.next() < 0.5 ? OWN_PAGE_URL : `${OWN_PAGE_URL}#/library?x=1`, parent: null } });

  function make(kind: string): IpcCase {
    const channel = random.pick(CHANNEL_NAMES);
    const fields = fieldsOf(channel);
    const field = fields.length > 0 ? random.pick(fields) : 'unexpected';
    const invalid = (payload: unknown): unknown =>
      typeof payload === 'object' && payload !== null && !Array.isArray(payload) && Object.getPrototypeOf(payload) === Object.prototype
        ? ensureInvalid(channel, payload as Record<string, unknown>)
        : payload;
    switch (kind) {
      case 'foreign_sender':
        // Even a valid call must be refused from anyone but our page, before the payload is looked at.
        return { kind, event: random.pick(FOREIGN_SENDERS)(), channel: 'app.info', payload: random.next() < 0.5 ? {} : cloneableOddity(random, depth, 1024), expect: 'forbidden' };
      case 'non_string_channel':
        return { kind, event: own(), channel: random.pick<unknown>([42, null, undefined, {}, ['app.info'], true, 1n, new String('app.info'), NaN]), payload: {}, expect: 'bad_request' };
      case 'unknown_channel':
        return { kind, event: own(), channel: random.pick(HOSTILE_CHANNEL_NAMES), payload: {}, expect: 'unknown_channel' };
      case 'wrong_types':
        return { kind, event: own(), channel, payload: invalid(Object.fromEntries(fields.map((f) => [f, wrongValue(random)]))), expect: 'bad_request' };
      case 'cloneable_oddity': {
        const target = channelWithFields(random);
        const inField = random.next() < 0.6;
        const oddity = cloneableOddity(random, depth, 4096);
        // A whole-payload oddity must still be invalid: null/undefined mean {} and {} is valid for some channels.
        const payload = inField ? { [random.pick(fieldsOf(target))]: oddity } : oddity;
        const validByChance = channels[target].request.safeParse(payload ?? {}).success;
        return { kind, event: own(), channel: target, payload: validByChance ? [payload] : payload, expect: 'bad_request' };
      }
      case 'proto_pollution': {
        const target = channelWithFields(random);
        const payload = random.pick<() => unknown>([
          () => JSON.parse('{"__proto__":{"offset":0,"limit":1,"id":1}}'),
          () => Object.assign(Object.create({ offset: 0, limit: 1, id: 1, listId: 1, jobId: 1 }), {}),
          () => ({ constructor: { prototype: { polluted: true } } }),
        ])();
        return { kind, event: own(), channel: target, payload, expect: 'bad_request' };
      }
      case 'oversized_string':
        return random.next() < 0.5
          ? { kind, event: own(), channel: 'z'.repeat(random.int(1, maxString)), payload: {}, expect: 'unknown_channel' }
          : { kind, event: own(), channel, payload: invalid({ [field]: 'w'.repeat(random.int(1, maxString)) }), expect: 'bad_request' };
      case 'deep_nesting': {
        let value: unknown = [];
        for (let i = 0; i < depth; i++) value = [value];
        return { kind, event: own(), channel, payload: random.next() < 0.5 ? value : invalid({ [field]: value }), expect: 'bad_request' };
      }
      default:
        throw new Error(`unknown fuzz kind ${kind}`);
    }
  }

  return { next: () => make(weightedPick(random, IPC_KINDS)) };
}
