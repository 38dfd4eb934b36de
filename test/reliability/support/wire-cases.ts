/**
 * Fuzz cases that only exist on the wire: bytes in the request line and headers that an HTTP
 * client library would refuse to send (NUL, raw UTF-8, bare `..`), repeated and oversized headers,
 * contradictory framing, and WebSocket upgrade handshakes with every header bent out of shape.
 */
import { randomBytes } from 'node:crypto'
import type { Rng } from './prng.js'
import type { HttpCase } from './fuzz-cases.js'
import { frame } from './raw-http.js'

export interface WireCase {
  label: string
  bytes: Buffer
  head: boolean
}

type Hdrs = Array<[string, string | Buffer]>

function baseHeaders(c: HttpCase): Hdrs {
  const h: Hdrs = [
    ['Host', '127.0.0.1'],
    ['Connection', 'close'],
  ]
  for (const [k, v] of Object.entries(c.headers)) h.push([k, v])
  // the socket peer is 127.0.0.1: a case meant to come from elsewhere says so with a forwarding
  // header, which the kernel treats as "not local" (contract §6)
  if (!c.remoteAddress.startsWith('127.')) h.push(['X-Forwarded-For', '203.0.113.50'])
  return h
}

const RAW_PATH_BYTES: readonly Buffer[] = [
  Buffer.from([0x00]),
  Buffer.from('日本', 'utf8'),
  Buffer.from('..'),
  Buffer.from('..\\..'),
  Buffer.from([0xff, 0xfe]),
  Buffer.from('%'),
  Buffer.from('a\tb'),
  Buffer.from([0x7f]),
  Buffer.from('../../../../etc/passwd'),
]

/** A wire-level variant of an HTTP case. */
export function wireCase(c: HttpCase, rng: Rng): WireCase {
  const head = c.method === 'HEAD'
  const body = c.body
  const h = baseHeaders(c)
  const withLength = (hs: Hdrs) => (body ? [...hs, ['Content-Length', String(body.length)] as [string, string]] : hs)
  const variant = rng.int(10)
  switch (variant) {
    case 0: {
      // a raw byte sequence spliced into the path (the last segment, or appended)
      const raw = rng.pick(RAW_PATH_BYTES)
      const [p, q] = c.url.split('?')
      const cut = p.lastIndexOf('/') + 1
      const path = Buffer.concat([Buffer.from(p.slice(0, cut)), raw, Buffer.from(p.slice(cut)), Buffer.from(q ? `?${q}` : '')])
      return { label: `raw bytes in path ${JSON.stringify(raw.toString('latin1'))}`, bytes: frame(c.method, path, withLength(h), body), head }
    }
    case 1: {
      // the same header twice, with different values
      // a second Content-Length only beside a real one: alone it would announce a body never sent
      const name = rng.pick(['Content-Type', 'Authorization', 'Host', 'X-Revka-Service-Token', 'Origin', ...(body ? ['Content-Length'] : [])])
      const other = name === 'Content-Length' ? String((body?.length ?? 0) + 1) : rng.pick(['application/json', 'text/plain', 'Bearer x', '127.0.0.1', 'x'])
      const hs = withLength(h)
      hs.push([name, other])
      return { label: `duplicate ${name}`, bytes: frame(c.method, c.url, hs, body), head }
    }
    case 2:
      return { label: 'oversized header', bytes: frame(c.method, c.url, withLength([...h, ['X-Fuzz', 'a'.repeat(rng.pick([17_000, 70_000]))]]), body), head }
    case 3: {
      const many: Hdrs = Array.from({ length: rng.pick([150, 2500]) }, (_, i) => [`X-F${i}`, 'v'] as [string, string])
      return { label: 'many headers', bytes: frame(c.method, c.url, withLength([...h, ...many]), body), head }
    }
    case 4: {
      // chunked framing, sometimes broken
      const b = body ?? Buffer.alloc(0)
      const broken = rng.chance(0.5)
      const chunks = broken
        ? Buffer.from(`zz\r\n${b.toString('latin1')}\r\n0\r\n\r\n`, 'latin1')
        : Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n0\r\n\r\n')])
      const hs: Hdrs = [...h, ['Transfer-Encoding', 'chunked']]
      if (rng.chance(0.3)) hs.push(['Content-Length', '5'])
      return {
        label: broken ? 'bad chunk size' : 'chunked body',
        bytes: frame(c.method, c.url, hs, b.length || broken ? chunks : Buffer.from('0\r\n\r\n')),
        head,
      }
    }
    case 5: {
      const value = rng.pick([Buffer.from('a\u0000b'), Buffer.from('Bearer 日本', 'utf8'), Buffer.from([0xff, 0x80]), Buffer.from('x\rInjected: y')])
      return {
        label: 'control bytes in a header value',
        bytes: frame(c.method, c.url, withLength([...h, [rng.pick(['Authorization', 'X-Session-Id', 'Content-Type', 'X-Idempotency-Key']), value]]), body),
        head,
      }
    }
    case 6:
      return {
        label: 'Content-Length says less',
        bytes: frame(c.method, c.url, [...h, ['Content-Length', String(Math.max(0, (body?.length ?? 8) - 3))]], body ?? Buffer.from('{"a":1}x')),
        head,
      }
    case 7: {
      const form = rng.pick([`${c.method.toLowerCase()}`, 'PROPFIND', 'FOO', `${c.method} `])
      return { label: `method ${JSON.stringify(form)}`, bytes: frame(form, c.url, withLength(h), body), head: false }
    }
    case 8: {
      // absolute-form target and a missing Host
      const target = rng.chance(0.5) ? `http://evil.example${c.url}` : c.url
      return { label: 'absolute-form / no Host', bytes: frame(c.method, target, withLength(h.filter(([k]) => k !== 'Host')), body), head }
    }
    default:
      return { label: 'plain', bytes: frame(c.method, c.url, withLength(h), body), head }
  }
}

/** The case as a well-framed request (streams must really open, not only be refused). */
export function plainWire(c: HttpCase): WireCase {
  const h = baseHeaders(c)
  if (c.body) h.push(['Content-Length', String(c.body.length)])
  return { label: 'plain', bytes: frame(c.method, c.url, h, c.body), head: c.method === 'HEAD' }
}

/** A WebSocket upgrade with 0–3 of its headers bent; `token` is a valid bearer (or not used). */
export function wsHandshake(path: string, subprotocol: string | undefined, token: string, rng: Rng): WireCase {
  const key = randomBytes(16).toString('base64')
  const fields: Record<string, string | Buffer | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Protocol': subprotocol ?? null,
    Authorization: `Bearer ${token}`,
    Origin: null,
    'Sec-WebSocket-Extensions': null,
  }
  const bends: string[] = []
  const mutations: Array<() => void> = [
    () => {
      fields.Upgrade = rng.pick([null, 'WebSocket', 'h2c', 'websocket, foo', '', 'websocket\u0000'])
    },
    () => {
      fields.Connection = rng.pick([null, 'keep-alive', 'upgrade, keep-alive', '', 'close'])
    },
    () => {
      fields['Sec-WebSocket-Version'] = rng.pick([null, '8', '12', '14', 'abc', '', '13, 8', '-1', '9'.repeat(30)])
    },
    () => {
      fields['Sec-WebSocket-Key'] = rng.pick([
        null,
        '',
        'short',
        'x'.repeat(200),
        '!!!!!!!!!!!!!!!!!!!!!!!!',
        'AAAAAAAAAAAAAAAAAAAAAA==',
        randomBytes(20).toString('base64'),
      ])
    },
    () => {
      fields['Sec-WebSocket-Protocol'] = rng.pick([
        null,
        '',
        'bearer.',
        `bearer.${token}`,
        'bearer.junk',
        `${subprotocol}, ${subprotocol}`,
        Array.from({ length: 300 }, (_, i) => `p${i}`).join(', '),
        Buffer.from('日本', 'utf8'),
        ',,,',
        'a b',
        'revka.v2',
      ])
    },
    () => {
      fields.Origin = rng.pick(['null', 'http://evil.example', 'http://127.0.0.1:1', 'file://', 'http://[::1]', '%%%', 'http://localhost.evil.example', ''])
    },
    () => {
      fields.Authorization = rng.pick([null, 'Bearer', 'Bearer junk', 'Basic eDp5', `Bearer ${token} extra`, `bearer ${token}`])
    },
    () => {
      fields['Sec-WebSocket-Extensions'] = rng.pick([
        'permessage-deflate; client_max_window_bits=99',
        'x;;;',
        'permessage-deflate; server_no_context_takeover=1',
        'permessage-deflate, permessage-deflate',
        '日本',
      ])
    },
  ]
  const n = rng.int(4)
  for (let i = 0; i < n; i++) {
    const m = rng.int(mutations.length)
    mutations[m]()
    bends.push(['upgrade', 'connection', 'version', 'key', 'protocol', 'origin', 'authorization', 'extensions'][m])
  }
  let query = ''
  if (rng.chance(0.4))
    query = `?${rng.pick(['token=junk', `token=${token}`, 'session_id=..%2F..', 'session_id=%00', 'session_id=' + 'x'.repeat(300), 'name=%F0%9F%98%80', 'session_id=a&session_id=b', 'cols=-1&rows=1e309', 'mcp_token=x&session_id=y', 'tool=../../bin/sh'])}`
  const method = rng.chance(0.1) ? rng.pick(['POST', 'PUT']) : 'GET'
  const hs: Hdrs = Object.entries(fields).filter((e): e is [string, string | Buffer] => e[1] !== null)
  return {
    label: `${method} upgrade${bends.length ? ` bent: ${bends.join(', ')}` : ''}${query ? ` query ${query}` : ''}`,
    bytes: frame(method, path + query, hs),
    head: false,
  }
}
