/**
 * What the fuzzer sends: hostile strings and numbers, malformed and well-formed-but-wrong JSON,
 * deep nesting, wrong media types, traversal and control characters in path parameters and query
 * strings, and the headers plugins read. Generic on purpose — it knows no route's schema — but the
 * object keys are the ones the built-in plugins look at, so well-typed garbage reaches handlers.
 */
import type { Rng } from './prng.js'

/** string values (JS strings; JSON-escaped when they go into a body) */
export const STRINGS: readonly string[] = [
  '',
  ' ',
  'a',
  'hello',
  '0',
  '-1',
  'null',
  'true',
  '[]',
  '{}',
  'undefined',
  'NaN',
  '../../../../etc/passwd',
  '..',
  '.',
  '/',
  '\\',
  '..\\..\\windows\\win.ini',
  '/etc/passwd',
  'C:\\Windows\\System32',
  '%2e%2e%2f%2e%2e%2f',
  '%00',
  'a\u0000b',
  '\u0000',
  '\u0000\u0000\u0000',
  '\u202egnp.exe',
  '\ufeffbom',
  '\ud83d\ude00 emoji',
  '\ud800',
  '\udfff lone',
  'Ω≈ç√∫',
  '日本語テキスト',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐',
  '<script>alert(1)</script>',
  "'; DROP TABLE sessions; --",
  '${process.exit(1)}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'prototype',
  'x'.repeat(129),
  'y'.repeat(5000),
  'line1\r\nInjected: header',
  '\t\n\r\u000b\u000c',
  'javascript:alert(1)',
  'http://127.0.0.1:1/',
  'file:///etc/passwd',
  'rk_' + '0'.repeat(64),
  'bearer.x',
  '*',
  '?',
  '#',
  '&',
  '=',
  '%',
  '%zz',
  '%E0%A4%A',
]

/** numbers as JSON text: huge, negative, fractional, out of range (1e309 parses to Infinity) */
export const NUMBERS: readonly string[] = [
  '0',
  '-0',
  '1',
  '-1',
  '0.5',
  '-0.5',
  '2147483647',
  '2147483648',
  '-2147483649',
  '4294967296',
  '9007199254740991',
  '9007199254740993',
  '-9007199254740993',
  '1e21',
  '1e308',
  '-1e308',
  '1e309',
  '-1e309',
  '5e-324',
  '1e-400',
  '123456789012345678901234567890',
]

/** object keys the built-in plugins read (so typed garbage gets past "missing field" checks) */
export const KEYS: readonly string[] = [
  'message',
  'content',
  'content_type',
  'code',
  'device_name',
  'device_type',
  'hardware',
  'name',
  'model',
  'provider',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'source',
  'agent_id',
  'agent_title',
  'capability',
  'args',
  'node_id',
  'path',
  'ttl_secs',
  'url',
  'session_id',
  'type',
  'payload',
  'channels',
  'run_id',
  'step_id',
  'data',
  'messageId',
  'subscription',
  'entry',
  'object',
  'statuses',
  'messages',
  'id',
  'token',
  'jsonrpc',
  'method',
  'params',
  'timeout_ms',
  'headers',
  'env',
  'text',
  'sender',
  'from',
  'conversation',
  'attachments',
  'page_context',
  'frame',
  'limit',
  'since',
  '__proto__',
  'constructor',
  '',
  'a'.repeat(300),
  '\u0000',
  '日本',
]

const jstr = (s: string) => JSON.stringify(s)

/** percent-encode anything, lone surrogates included (encodeURIComponent throws on those) */
export function enc(s: string): string {
  try {
    return encodeURIComponent(s)
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('')
  }
}

/** random JSON text (numbers written raw so 1e309 and -0 survive) */
export function jsonValue(rng: Rng, depth = 0): string {
  const k = rng.int(depth > 3 ? 4 : 7)
  switch (k) {
    case 0:
      return jstr(rng.pick(STRINGS))
    case 1:
      return rng.pick(NUMBERS)
    case 2:
      return rng.pick(['true', 'false', 'null'])
    case 3:
      return jstr(rng.pick(STRINGS).repeat(rng.between(1, 3)))
    case 4:
      return `[${Array.from({ length: rng.int(4) }, () => jsonValue(rng, depth + 1)).join(',')}]`
    case 5:
      return objectText(rng, depth + 1)
    default:
      return `[${jsonValue(rng, depth + 1)}]`
  }
}

/** a JSON object with keys plugins read and hostile values (duplicate keys included) */
export function objectText(rng: Rng, depth = 0): string {
  const n = rng.int(6)
  const fields = Array.from({ length: n }, () => `${jstr(rng.pick(KEYS))}:${jsonValue(rng, depth + 1)}`)
  return `{${fields.join(',')}}`
}

function nested(open: string, close: string, leaf: string, depth: number): string {
  return open.repeat(depth) + leaf + close.repeat(depth)
}

export interface BodyCase {
  label: string
  /** undefined: no body at all */
  body?: Buffer
  contentType?: string
}

const MALFORMED_JSON: readonly string[] = [
  '{',
  '}',
  '{"a":}',
  "{'a':1}",
  '[1,2,',
  'nul',
  '"unterminated',
  '{} trailing',
  '{"a":1,,"b":2}',
  '{"a" 1}',
  '01',
  '+1',
  '.5',
  'NaN',
  'Infinity',
  '{"a":undefined}',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '\ufeff{}',
  '{"a":"\\ud800"}',
  '{"a":"\\u00"}',
  '/* comment */ {}',
  '[]]',
  '{"a":1}{"b":2}',
  '\u0000',
  ' ',
  '\n',
]

const CONTENT_TYPES: readonly string[] = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/vnd.api+json',
  'text/plain',
  'text/plain; charset=iso-8859-1',
  'application/toml',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=X-FUZZ',
  'application/xml',
  'application/octet-stream',
  '*/*',
  '',
  ';;;',
  'application/json;;;',
  'application/jsonx',
  'text/event-stream',
  'image/png',
  'APPLICATION/JSON',
]

/** A body and its Content-Type. About half are JSON-typed, the rest are wrong on purpose. */
export function bodyCase(rng: Rng, limit: number): BodyCase {
  const json = rng.chance(0.6) ? 'application/json' : rng.pick(CONTENT_TYPES)
  const buf = (s: string) => Buffer.from(s, 'utf8')
  switch (rng.int(14)) {
    case 0:
      return { label: 'no body' }
    case 1:
      return { label: 'empty body', body: Buffer.alloc(0), contentType: json }
    case 2:
      return { label: 'malformed json', body: buf(rng.pick(MALFORMED_JSON)), contentType: json }
    case 3:
      return {
        label: 'json scalar/array',
        body: buf(rng.pick(['[]', '[{}]', 'null', 'true', '0', '"str"', '-1', '1e309', '[null]', '[[]]', '""'])),
        contentType: json,
      }
    case 4:
    case 5:
    case 6:
      return { label: 'object', body: buf(objectText(rng)), contentType: json }
    case 7: {
      // deep nesting, kept under the route's body limit
      const depth = Math.min(rng.pick([64, 512, 5000, 20000]), Math.floor(Math.min(limit, 65536) / 6))
      const text = rng.chance(0.5) ? nested('[', ']', '1', depth) : nested('{"a":', '}', '1', depth)
      return { label: `nested ${depth}`, body: buf(text), contentType: json }
    }
    case 8: {
      const n = rng.pick([1000, 10000])
      return { label: `array of ${n}`, body: buf(`[${Array.from({ length: n }, () => rng.pick(NUMBERS)).join(',')}]`), contentType: json }
    }
    case 9: {
      // a long string just under (or over) the route's limit
      const size = rng.chance(0.7) ? Math.min(limit, 65536) - 64 : Math.min(limit, 1 << 21) + 1024
      return { label: `string ~${size}B`, body: buf(`{"message":"${'x'.repeat(Math.max(0, size))}"}`), contentType: json }
    }
    case 10:
      return { label: 'random bytes', body: rng.bytes(rng.between(1, 2048)), contentType: rng.pick(CONTENT_TYPES) }
    case 11:
      return {
        label: 'invalid utf-8 in json',
        body: Buffer.concat([buf('{"message":"'), Buffer.from([0xc0, 0x80, 0xff, 0xfe, 0xed, 0xa0, 0x80]), buf('"}')]),
        contentType: json,
      }
    case 12: {
      const parts = `--X-FUZZ\r\nContent-Disposition: form-data; name="file"; filename="${rng.pick(['a.txt', '../../x', '\u0000.txt', ''])}"\r\nContent-Type: text/plain\r\n\r\n${rng.pick(STRINGS)}\r\n${rng.chance(0.5) ? '--X-FUZZ--\r\n' : ''}`
      return {
        label: 'multipart',
        body: buf(parts),
        contentType: rng.pick(['multipart/form-data; boundary=X-FUZZ', 'multipart/form-data', 'multipart/form-data; boundary=']),
      }
    }
    default:
      return {
        label: 'text',
        body: buf(rng.pick(['a = 1', '[gateway', 'x = "unterminated', '[[a]]\nb = 1', 'a=1&b=2', rng.pick(STRINGS)])),
        contentType: rng.pick(CONTENT_TYPES),
      }
  }
}

/** path parameter values, already in URL form (percent-encoded where a raw byte would be illegal) */
const PARAMS: readonly string[] = [
  'abc',
  'dummy-1',
  '00000000-0000-0000-0000-000000000000',
  '..',
  '%2e%2e',
  '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%2Fetc%2Fpasswd',
  '..%5c..%5cwindows',
  'C%3A%5CWindows',
  '%00',
  'a%00b',
  '%E2%80%AE',
  '%F0%9F%98%80',
  '%ED%A0%80',
  '%C0%AE%C0%AE',
  '%zz',
  '%E0%A4%A',
  '%',
  '-1',
  '0',
  '1e309',
  '9'.repeat(40),
  'x'.repeat(1100),
  'a.b',
  '.hidden',
  '~',
  '%20',
  '+',
  '%0d%0aInjected:%20x',
  '%3Cscript%3E',
]

const WILDCARDS: readonly string[] = [
  'hello.txt',
  'dir/file.txt',
  '../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e/%2e%2e/etc/passwd',
  'a/../../b',
  '/etc/passwd',
  '%2Fetc%2Fpasswd',
  'escape/passwd',
  'escape',
  'a%00.txt',
  '.',
  '',
  'a//b',
  '%E0%A4%A',
  'x'.repeat(2000),
  'C:%5CWindows%5Cwin.ini',
]

export function pathParam(rng: Rng): string {
  if (rng.chance(0.15)) return enc(rng.pick(STRINGS)) || 'x'
  return rng.pick(PARAMS)
}

export function wildcard(rng: Rng): string {
  return rng.pick(WILDCARDS)
}

/** the route's URL with every `:param` and a trailing `*` filled in */
export function concretePath(url: string, rng: Rng): string {
  return url.replace(/:[^/]+/g, () => pathParam(rng)).replace(/\*$/, () => wildcard(rng))
}

const QUERY_KEYS: readonly string[] = [
  'token',
  'limit',
  'session_id',
  'name',
  'u',
  'exp',
  'sig',
  'hub.mode',
  'hub.verify_token',
  'hub.challenge',
  'tool',
  'cwd',
  'cols',
  'rows',
  'mcp_token',
  'mcp_session',
  'since',
  'event_type',
  'id',
  'lines',
  '__proto__',
  'constructor',
  '',
]

/** a query string (with its `?`), sometimes with repeated keys (which parse to arrays) */
export function queryString(rng: Rng): string {
  if (rng.chance(0.5)) return ''
  const n = rng.between(1, 4)
  const pairs: string[] = []
  for (let i = 0; i < n; i++) {
    const k = rng.pick(QUERY_KEYS)
    const v = rng.chance(0.5) ? rng.pick(NUMBERS) : rng.pick(STRINGS)
    pairs.push(`${enc(k)}=${enc(v)}`)
    if (rng.chance(0.2)) pairs.push(`${enc(k)}=${enc(rng.pick(STRINGS))}`)
  }
  if (rng.chance(0.1)) pairs.push('novalue', '=x', '&&')
  return `?${pairs.join('&')}`
}

/** headers plugins read, with hostile values (printable ASCII only: these also go through inject) */
const HEADER_NAMES: readonly string[] = [
  'x-pairing-code',
  'x-idempotency-key',
  'x-session-id',
  'x-webhook-secret',
  'x-device-name',
  'x-revka-device-name',
  'x-device-type',
  'x-device-hardware',
  'user-agent',
  'last-event-id',
  'accept',
  'origin',
  'range',
  'if-none-match',
  'if-modified-since',
  'x-hub-signature-256',
  'x-webhook-timestamp',
  'x-webhook-signature',
  'x-nextcloud-talk-random',
  'x-nextcloud-talk-signature',
  'x-revka-webhook-secret',
  'mcp-session-id',
  'x-revka-session',
  'accept-encoding',
  'expect',
  'x-forwarded-for',
  'forwarded',
  'x-real-ip',
]

const ASCII_VALUES: readonly string[] = [
  '',
  ' ',
  '0',
  '-1',
  '1e309',
  '99999999999999999999',
  'null',
  '../../etc/passwd',
  '%00',
  'x'.repeat(4000),
  'sha256=',
  'sha256=zz',
  'bytes=0-',
  'bytes=-1',
  'bytes=999999999-',
  '*',
  'text/event-stream',
  'application/json, text/event-stream',
  '100-continue',
  'gzip, br',
  'http://evil.example',
  'null',
  '127.0.0.1',
  'for=127.0.0.1',
  '1, 2, 3',
  'a'.repeat(300),
  '<script>',
  '${jndi:ldap://x}',
]

export function extraHeaders(rng: Rng): Record<string, string> {
  const out: Record<string, string> = {}
  const n = rng.int(4)
  for (let i = 0; i < n; i++) out[rng.pick(HEADER_NAMES)] = rng.pick(ASCII_VALUES)
  return out
}

/** malformed credentials: never valid, always "presented" */
export function junkAuthHeaders(rng: Rng): Record<string, string> {
  return rng.pick<Record<string, string>>([
    { authorization: 'Bearer' },
    { authorization: 'Bearer ' + rng.pick(ASCII_VALUES.filter(Boolean)) },
    { authorization: 'Basic dXNlcjpwYXNz' },
    { authorization: 'Bearer rk_' + 'f'.repeat(64) },
    { authorization: 'bearer    ' + 'a'.repeat(600) },
    { 'x-revka-service-token': rng.pick(ASCII_VALUES) || 'x' },
    { authorization: 'Bearer a', 'x-revka-service-token': '0'.repeat(64) },
  ])
}
