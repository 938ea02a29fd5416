/**
 * The HTTP section: attacks on every route of the browser server (/, /assets/..., /img/<variant>/<id>,
 * /rpc), over raw TCP so that nothing normalises the request first. Each case says what refusal looks
 * like (a 4xx status without leaked content, or the connection closed) and is counted as refused or not.
 */
import { connect } from 'node:net';
import type { ServerTimeouts } from '../../main/server/requestGuards';

export interface HttpTarget {
  port: number;
  token: string;
  /** Text that must never appear in a response (a file beside the renderer folder, and behind assets/link.txt, a symlink to it). */
  secret: string;
  /** The server's time limits, to bound the slow cases. */
  timeouts: ServerTimeouts;
}

export interface HttpCaseResult {
  kind: string;
  name: string;
  refused: boolean;
  detail: string;
  ms: number;
}

export interface HttpSectionResult {
  http_cases: number;
  http_refused: number;
  by_kind: Record<string, { cases: number; refused: number }>;
  /** Cases that were not refused, with what happened. */
  not_refused: HttpCaseResult[];
  slowest_close_ms: number | null;
  seconds: number;
}

interface Exchange {
  status: number | null;
  head: string;
  body: string;
  /** The server closed (or reset) the connection. */
  closed: boolean;
  /** The first response byte arrived. */
  firstByteMs: number | null;
  closedMs: number | null;
  writeError: string | null;
}

interface ExchangeOptions {
  /** Written first, at once. */
  head: string | Buffer;
  /** Then written chunk by chunk, one every intervalMs, until the server closes or the list ends. */
  trickle?: Array<string | Buffer>;
  intervalMs?: number;
  /** Give up (and destroy the socket) after this long. */
  timeoutMs?: number;
}

/** One raw HTTP exchange on a fresh connection; resolves when the server closes or the time is up. */
export function exchange(port: number, options: ExchangeOptions): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let firstByteMs: number | null = null;
    let writeError: string | null = null;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      clearTimeout(deadline);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split >= 0 ? text.slice(0, split) : text;
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({
        status: match ? Number(match[1]) : null,
        head,
        body: split >= 0 ? text.slice(split + 4) : '',
        closed,
        firstByteMs,
        closedMs: closed ? Date.now() - started : null,
        writeError,
      });
    };
    const deadline = setTimeout(() => finish(false), options.timeoutMs ?? 5_000);
    socket.on('data', (data: Buffer) => {
      firstByteMs ??= Date.now() - started;
      if (chunks.reduce((n, c) => n + c.length, 0) < 1024 * 1024) chunks.push(data);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      writeError ??= error.code ?? error.message;
    });
    socket.on('close', () => finish(true));
    socket.on('end', () => finish(true));
    socket.once('connect', () => {
      socket.write(options.head);
      const rest = [...(options.trickle ?? [])];
      if (rest.length === 0) return;
      timer = setInterval(() => {
        const next = rest.shift();
        if (next === undefined || socket.destroyed) {
          clearInterval(timer);
          return;
        }
        socket.write(next);
      }, options.intervalMs ?? 1_000);
    });
  });
}

function request(method: string, target: string, headers: Record<string, string>, port: number): string {
  const lines = [`${method} ${target} HTTP/1.1`];
  const all = { Host: `127.0.0.1:${port}`, Connection: 'close', ...headers };
  for (const [name, value] of Object.entries(all)) if (value !== '') lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

interface Case {
  kind: string;
  name: string;
  run(target: HttpTarget): Promise<{ refused: boolean; detail: string }>;
}

const LEAK_MARKERS = ['root:x:', 'root:*:', '[boot loader]'];

function leaked(response: Exchange, target: HttpTarget): boolean {
  return response.body.includes(target.secret) || LEAK_MARKERS.some((marker) => response.body.includes(marker));
}

function describe(response: Exchange): string {
  return `status ${response.status ?? 'none'}${response.closed ? ', closed' : ''}${response.closedMs !== null ? ` after ${response.closedMs} ms` : ''}`;
}

/** A GET that must come back 4xx with nothing of the secret or the system's files in it. */
function refusedGet(kind: string, path: (t: HttpTarget) => string, headers: (t: HttpTarget) => Record<string, string> = () => ({}), allowed?: number[]): Case {
  return {
    kind,
    name: `${kind}: GET ${path({ port: 0, token: 'TOKEN', secret: '', timeouts: { headersMs: 0, requestMs: 0, keepAliveMs: 0, checkIntervalMs: 0 } })}`,
    async run(target) {
      const response = await exchange(target.port, { head: request('GET', path(target), headers(target), target.port) });
      const statusOk = response.status !== null && (allowed ? allowed.includes(response.status) : response.status >= 400 && response.status < 500);
      return { refused: statusOk && !leaked(response, target), detail: describe(response) };
    },
  };
}

const TRAVERSALS = [
  '../secret.txt',
  '../../../../../../etc/passwd',
  '%2e%2e/secret.txt',
  '%2e%2e%2fsecret.txt',
  '%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '%252e%252e%252fsecret.txt',
  '..%5csecret.txt',
  '..\\secret.txt',
  '..%255csecret.txt',
  '%c0%ae%c0%ae/secret.txt',
  '.%2e/secret.txt',
  '%2fetc%2fpasswd',
  'secret.txt%00.html',
  '..%00/secret.txt',
  'index.html%00',
];

/** Every route: the renderer root, its assets, both image variants (with a valid token) and the RPC path. */
const ROUTES: Array<{ prefix: string; query: (token: string) => string }> = [
  { prefix: '/', query: () => '' },
  { prefix: '/assets/', query: () => '' },
  { prefix: '/img/full/', query: (token) => `?token=${token}` },
  { prefix: '/img/thumb/', query: (token) => `?token=${token}` },
  { prefix: '/rpc/', query: (token) => `?token=${token}` },
];

function traversalCases(): Case[] {
  const cases: Case[] = [];
  for (const route of ROUTES) {
    for (const traversal of TRAVERSALS) cases.push(refusedGet('traversal', (t) => `${route.prefix}${traversal}${route.query(t.token)}`));
  }
  // Absolute paths and absolute-form request targets.
  for (const absolute of ['//etc/passwd', '/etc/passwd', 'http://127.0.0.1/../../etc/passwd', 'file:///etc/passwd', '/\\etc\\passwd', '/C:/Windows/win.ini', '/img/full/%2fetc%2fpasswd?token=TOKEN', '/assets/link.txt']) {
    cases.push(refusedGet('absolute_path', (t) => absolute.replace('TOKEN', t.token)));
  }
  // Image ids that are not ids.
  for (const id of ['0', '-1', '1e3', '0x10', '1.0', '99999999999999999999', '5/extra', '%35', '５']) {
    cases.push(refusedGet('image_id', (t) => `/img/full/${id}?token=${t.token}`));
  }
  return cases;
}

function tokenCases(): Case[] {
  const cases: Case[] = [];
  const variants: Array<[string, (token: string) => string]> = [
    ['missing', () => ''],
    ['empty', () => '?token='],
    ['wrong', () => '?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['one extra character', (token) => `?token=${token}x`],
    ['one character short', (token) => `?token=${token.slice(0, -1)}`],
    ['upper-cased', (token) => `?token=${token.toUpperCase()}`],
    ['in another parameter', (token) => `?tok=${token}`],
    ['wrong then right', (token) => `?token=wrong&token=${token}`],
    ['NUL appended', (token) => `?token=${token}%00`],
  ];
  for (const [name, query] of variants) {
    cases.push({ ...refusedGet('token', (t) => `/img/full/1${query(t.token)}`, () => ({}), [403]), name: `token: image with the token ${name}` });
    cases.push({ ...upgradeCase('token', (t) => `/rpc${query(t.token)}`, () => ({})), name: `token: RPC socket with the token ${name}` });
  }
  return cases;
}

function upgradeHeaders(): Record<string, string> {
  return { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };
}

/** A WebSocket handshake that must not be switched (101). */
function upgradeCase(kind: string, path: (t: HttpTarget) => string, headers: (t: HttpTarget) => Record<string, string>): Case {
  return {
    kind,
    name: `${kind}: upgrade`,
    async run(target) {
      const response = await exchange(target.port, { head: request('GET', path(target), { ...upgradeHeaders(), ...headers(target) }, target.port) });
      return { refused: response.status !== 101 && response.status !== null && response.status >= 400, detail: describe(response) };
    },
  };
}

function hostAndOriginCases(): Case[] {
  const cases: Case[] = [];
  const hosts: Array<[string, (port: number) => string]> = [
    ['a foreign name', () => 'evil.example'],
    ['a foreign name with our port', (port) => `evil.example:${port}`],
    ['our address without the port', () => '127.0.0.1'],
    ['another port', (port) => `127.0.0.1:${port + 1}`],
    ['a rebinding-style name', (port) => `localhost.evil.example:${port}`],
    ['a trailing dot', (port) => `localhost.:${port}`],
    ['IPv6 loopback', (port) => `[::1]:${port}`],
    ['the numeric form 2130706433', (port) => `2130706433:${port}`],
  ];
  for (const [name, host] of hosts) {
    cases.push({ ...refusedGet('host', () => '/', (t) => ({ Host: host(t.port) }), [421]), name: `host: page with Host ${name}` });
    cases.push({ ...refusedGet('host', (t) => `/img/full/1?token=${t.token}`, (t) => ({ Host: host(t.port) }), [421]), name: `host: image with Host ${name}` });
    cases.push({ ...upgradeCase('host', (t) => `/rpc?token=${t.token}`, (t) => ({ Host: host(t.port) })), name: `host: RPC socket with Host ${name}` });
  }
  cases.push({
    kind: 'host',
    name: 'host: HTTP/1.0 request without Host',
    async run(target) {
      const response = await exchange(target.port, { head: 'GET / HTTP/1.0\r\n\r\n' });
      return { refused: response.status === 421 || response.status === 400, detail: describe(response) };
    },
  });
  const origins: Array<[string, (port: number) => string]> = [
    ['a foreign site', () => 'http://evil.example'],
    ['null', () => 'null'],
    ['our host on another port', (port) => `http://127.0.0.1:${port + 1}`],
    ['https on our port', (port) => `https://127.0.0.1:${port}`],
    ['a file page', () => 'file://'],
  ];
  for (const [name, origin] of origins) {
    cases.push({ ...refusedGet('origin', () => '/', (t) => ({ Origin: origin(t.port) }), [403]), name: `origin: page from ${name}` });
    cases.push({ ...refusedGet('origin', (t) => `/img/full/1?token=${t.token}`, (t) => ({ Origin: origin(t.port) }), [403]), name: `origin: image from ${name}` });
    cases.push({ ...upgradeCase('origin', (t) => `/rpc?token=${t.token}`, (t) => ({ Origin: origin(t.port) })), name: `origin: RPC socket from ${name}` });
  }
  return cases;
}

/**
 * Bodies: nothing here takes one, so a request that announces a body must be answered 413 from its
 * headers alone (the answer arrives while the client is still sending) and its connection closed.
 */
function bodyCases(): Case[] {
  const bodies: Array<[string, string, Record<string, string>]> = [
    ['POST of 1 GB', 'POST', { 'Content-Length': String(1024 ** 3), Connection: 'keep-alive' }],
    ['PUT of 100 MB to an image route', 'PUT', { 'Content-Length': String(100 * 1024 ** 2), Connection: 'keep-alive' }],
    ['GET with a 10 MB body', 'GET', { 'Content-Length': String(10 * 1024 ** 2), Connection: 'keep-alive' }],
    ['chunked POST without end', 'POST', { 'Transfer-Encoding': 'chunked', Connection: 'keep-alive' }],
    ['POST with Expect: 100-continue', 'POST', { 'Content-Length': String(1024 ** 3), Expect: '100-continue', Connection: 'keep-alive' }],
    ['upload-style multipart POST', 'POST', { 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': String(512 * 1024 ** 2), Connection: 'keep-alive' }],
  ];
  return bodies.map(([name, method, headers]) => ({
    kind: 'body',
    name: `body: ${name}`,
    async run(target) {
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const path = method === 'PUT' ? `/img/full/1?token=${target.token}` : '/';
      const response = await exchange(target.port, {
        head: request(method, path, headers, target.port),
        // Keep sending (64 KiB every 20 ms) while waiting: the answer must not wait for the body.
        trickle: Array.from({ length: 250 }, () => (headers['Transfer-Encoding'] ? Buffer.from(`10000\r\n${chunk.toString('latin1')}\r\n`, 'latin1') : chunk)),
        intervalMs: 20,
        timeoutMs: 5_000,
      });
      const sawContinue = response.head.startsWith('HTTP/1.1 100');
      const refused = response.status === 413 && response.closed && !sawContinue && (response.firstByteMs ?? Infinity) < 2_000;
      return { refused, detail: `${describe(response)}, first byte after ${response.firstByteMs ?? '-'} ms${sawContinue ? ', sent 100 Continue' : ''}` };
    },
  }));
}

function methodAndHeaderCases(): Case[] {
  const cases: Case[] = [];
  for (const method of ['DELETE', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND', 'CONNECT']) {
    cases.push({
      kind: 'method',
      name: `method: ${method}`,
      async run(target) {
        const path = method === 'CONNECT' ? `127.0.0.1:${target.port}` : '/';
        const response = await exchange(target.port, { head: request(method, path, {}, target.port) });
        return { refused: (response.status !== null && response.status >= 400) || (response.status === null && response.closed), detail: describe(response) };
      },
    });
  }
  cases.push({
    kind: 'headers',
    name: 'headers: 64 KiB header',
    async run(target) {
      const response = await exchange(target.port, { head: request('GET', '/', { 'X-Big': 'a'.repeat(64 * 1024) }, target.port) });
      return { refused: response.status === 431 || (response.status === null && response.closed), detail: describe(response) };
    },
  });
  cases.push({
    kind: 'headers',
    name: 'headers: 2,000 headers of 40 bytes',
    async run(target) {
      const many = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`X-Header-${String(i).padStart(5, '0')}`, 'v'.repeat(20)]));
      const response = await exchange(target.port, { head: request('GET', '/', many, target.port) });
      return { refused: response.status === 431 || response.status === 400 || (response.status === null && response.closed), detail: describe(response) };
    },
  });
  cases.push({
    kind: 'headers',
    name: 'headers: request smuggling (Content-Length and Transfer-Encoding)',
    async run(target) {
      const response = await exchange(target.port, {
        head: `POST / HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /img/full/1 HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\n\r\n`,
      });
      return { refused: response.status !== null && response.status >= 400 && !response.body.includes('HTTP/1.1 200'), detail: describe(response) };
    },
  });
  cases.push({
    kind: 'headers',
    name: 'headers: garbage request line',
    async run(target) {
      const response = await exchange(target.port, { head: Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]) });
      return { refused: (response.status !== null && response.status >= 400) || response.closed, detail: describe(response) };
    },
  });
  return cases;
}

/**
 * Slow-loris: a request that never completes must lose its connection within the server's bound
 * (headers or request timeout plus the interval Node checks them at, plus slack).
 */
function slowCases(): Case[] {
  const bound = (t: HttpTarget, ms: number) => ms + t.timeouts.checkIntervalMs + 2_000;
  const slowHeaders = (t: HttpTarget, path: string, extra: Record<string, string>) => {
    const text = request('GET', path, { ...extra, 'X-Slow': 'x'.repeat(600) }, t.port).replace(/\r\n\r\n$/, '\r\n');
    // First the request line, then one byte a second: never the blank line that ends the headers.
    return { head: text.slice(0, 20), trickle: [...text.slice(20)] };
  };
  return [
    {
      kind: 'slow',
      name: 'slow: headers at one byte a second',
      async run(t) {
        const limit = bound(t, t.timeouts.headersMs);
        const response = await exchange(t.port, { ...slowHeaders(t, '/', {}), intervalMs: 1_000, timeoutMs: limit + 3_000 });
        return { refused: response.closed && (response.closedMs ?? Infinity) <= limit, detail: `${describe(response)} (bound ${limit} ms)` };
      },
    },
    {
      kind: 'slow',
      name: 'slow: WebSocket handshake at one byte a second',
      async run(t) {
        const limit = bound(t, t.timeouts.headersMs);
        const response = await exchange(t.port, { ...slowHeaders(t, `/rpc?token=${t.token}`, upgradeHeaders()), intervalMs: 1_000, timeoutMs: limit + 3_000 });
        return { refused: response.closed && response.status !== 101 && (response.closedMs ?? Infinity) <= limit, detail: `${describe(response)} (bound ${limit} ms)` };
      },
    },
    {
      kind: 'slow',
      name: 'slow: connection that sends nothing',
      async run(t) {
        const limit = bound(t, t.timeouts.headersMs);
        const response = await exchange(t.port, { head: '', timeoutMs: limit + 3_000 });
        return { refused: response.closed && (response.closedMs ?? Infinity) <= limit, detail: `${describe(response)} (bound ${limit} ms)` };
      },
    },
    {
      kind: 'slow',
      name: 'slow: idle keep-alive connection after a request',
      async run(t) {
        const limit = bound(t, t.timeouts.keepAliveMs);
        const response = await exchange(t.port, { head: request('GET', '/', { Connection: 'keep-alive' }, t.port), timeoutMs: limit + 3_000 });
        return { refused: response.status === 200 && response.closed && (response.closedMs ?? Infinity) <= limit, detail: `${describe(response)} (bound ${limit} ms)` };
      },
    },
  ];
}

export function httpAttackCases(): Case[] {
  return [...traversalCases(), ...tokenCases(), ...hostAndOriginCases(), ...bodyCases(), ...methodAndHeaderCases(), ...slowCases()];
}

/** Runs every case (a few at a time; the slow ones start first since they take longest). */
export async function runHttpAttacks(target: HttpTarget, concurrency = 8): Promise<HttpSectionResult> {
  const started = Date.now();
  const cases = httpAttackCases().sort((a, b) => Number(b.kind === 'slow') - Number(a.kind === 'slow'));
  const results: HttpCaseResult[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < cases.length) {
      const item = cases[next++]!;
      const began = Date.now();
      let outcome: { refused: boolean; detail: string };
      try {
        outcome = await item.run(target);
      } catch (error) {
        outcome = { refused: false, detail: `the case failed: ${String(error)}` };
      }
      results.push({ kind: item.kind, name: item.name, ...outcome, ms: Date.now() - began });
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const byKind: HttpSectionResult['by_kind'] = {};
  for (const result of results) {
    const entry = (byKind[result.kind] ??= { cases: 0, refused: 0 });
    entry.cases += 1;
    if (result.refused) entry.refused += 1;
  }
  const slow = results.filter((r) => r.kind === 'slow').map((r) => r.ms);
  return {
    http_cases: results.length,
    http_refused: results.filter((r) => r.refused).length,
    by_kind: byKind,
    not_refused: results.filter((r) => !r.refused),
    slowest_close_ms: slow.length > 0 ? Math.max(...slow) : null,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
