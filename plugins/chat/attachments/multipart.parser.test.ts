import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { boundaryOf, MultipartError, MultipartParser, type PartInfo } from './multipart.js'

const B = 'XyZzy-boundary-42'

function body(parts: Array<{ headers: string; data: Buffer | string }>, opts: { preamble?: string; epilogue?: string } = {}): Buffer {
  const chunks: Buffer[] = [Buffer.from(opts.preamble ?? '')]
  for (const p of parts) chunks.push(Buffer.from(`--${B}\r\n${p.headers}\r\n\r\n`), Buffer.from(p.data), Buffer.from('\r\n'))
  chunks.push(Buffer.from(`--${B}--\r\n${opts.epilogue ?? ''}`))
  return Buffer.concat(chunks)
}

/** Feed `input` cut at the given sizes; return the parts with their reassembled data. */
function parse(input: Buffer, cut: (i: number) => number): Array<PartInfo & { data: Buffer }> {
  const p = new MultipartParser(B)
  const out: Array<PartInfo & { data: Buffer; chunks: Buffer[] }> = []
  let at = 0
  for (let i = 0; at < input.length; i++) {
    const n = Math.max(1, cut(i))
    for (const ev of p.push(input.subarray(at, at + n))) {
      if (ev.type === 'part') out.push({ ...ev.part, data: Buffer.alloc(0), chunks: [] })
      // copy: slices are only valid until the next push
      else if (ev.type === 'data') out.at(-1)!.chunks.push(Buffer.from(ev.data))
      else out.at(-1)!.data = Buffer.concat(out.at(-1)!.chunks)
    }
    at += n
  }
  p.end()
  return out.map(({ chunks: _c, ...rest }) => rest)
}

test('boundaryOf accepts multipart/form-data only and reads quoted and bare boundaries', () => {
  assert.equal(boundaryOf(`multipart/form-data; boundary=${B}`), B)
  assert.equal(boundaryOf(`Multipart/Form-Data; charset=utf-8; boundary="${B}"`), B)
  assert.equal(boundaryOf('multipart/form-data'), null)
  assert.equal(boundaryOf(`multipart/mixed; boundary=${B}`), null)
  assert.equal(boundaryOf('application/json'), null)
  assert.equal(boundaryOf(undefined), null)
})

test('parts come out whole however the input is cut, including 1-byte chunks and boundary-like bytes', () => {
  const tricky = Buffer.concat([Buffer.from(`\r\n--${B.slice(0, 10)}\r\n--`), randomBytes(70_000), Buffer.from(`\r\n-${B}`)])
  const input = body([
    { headers: 'Content-Disposition: form-data; name="note"', data: 'hello' },
    { headers: 'Content-Disposition: form-data; name="file"; filename="a b.bin"\r\nContent-Type: application/octet-stream', data: tricky },
    { headers: 'Content-Disposition: form-data; name="empty"', data: '' },
  ], { preamble: 'ignored preamble\r\n', epilogue: 'ignored epilogue' })
  const cuts: Array<(i: number) => number> = [() => input.length, () => 1, () => 7, (i) => (i * 7919) % 4096 + 1, () => B.length + 5, () => 65_536]
  for (const cut of cuts) {
    const parts = parse(input, cut)
    assert.deepEqual(parts.map((p) => p.name), ['note', 'file', 'empty'])
    assert.equal(parts[0].data.toString(), 'hello')
    assert.equal(parts[1].filename, 'a b.bin')
    assert.equal(parts[1].contentType, 'application/octet-stream')
    assert.ok(parts[1].data.equals(tricky))
    assert.equal(parts[2].data.length, 0)
  }
})

test('filename* (RFC 5987) wins over filename, and escaped quotes are read', () => {
  const [p] = parse(body([{ headers: `Content-Disposition: form-data; name="file"; filename="fallback.txt"; filename*=UTF-8''na%C3%AFve%20notes.txt`, data: 'x' }]), () => 1000)
  assert.equal(p.filename, 'naïve notes.txt')
  const [q] = parse(body([{ headers: 'Content-Disposition: form-data; name="file"; filename="say \\"hi\\".txt"', data: 'x' }]), () => 1000)
  assert.equal(q.filename, 'say "hi".txt')
})

test('malformed bodies are MultipartErrors: truncated, no disposition, oversized headers', () => {
  const full = body([{ headers: 'Content-Disposition: form-data; name="file"', data: 'abc' }])
  assert.throws(() => parse(full.subarray(0, full.length - 10), () => 5), MultipartError)
  assert.throws(() => parse(body([{ headers: 'Content-Type: text/plain', data: 'abc' }]), () => 100), MultipartError)
  const huge = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="x"\r\nX-Pad: ${'a'.repeat(20_000)}`)
  assert.throws(() => new MultipartParser(B).push(huge), MultipartError)
  assert.throws(() => new MultipartParser(B).push(Buffer.from(`--${B}XX\r\n`)), MultipartError)
})

test('a body without any boundary never completes', () => {
  const p = new MultipartParser(B)
  assert.deepEqual(p.push(Buffer.from('just some bytes, no multipart here')), [])
  assert.throws(() => p.end(), MultipartError)
})
