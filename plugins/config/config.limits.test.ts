import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

const MIB = 1_048_576
const CONFIG = '[gateway]\nrequire_pairing = true\n\n[providers.openai]\napi_key = "sk-live-abcdef0123456789"\n'

/** A valid TOML document of exactly `size` bytes (a long string value; comments would not survive the rewrite). */
function tomlOfSize(size: number): string {
  const head = '[gateway]\nrequire_pairing = true\n\n[providers.openai]\napi_key = "***MASKED***"\n\n[padding]\nblob = "'
  const tail = '"\n'
  return head + 'x'.repeat(size - head.length - tail.length) + tail
}

/**
 * Send over a raw socket and read the status even when the server answers before the body is sent
 * (an early 413 closes the connection; fetch would report that as a network error).
 */
function rawSend(k: TestKernel, method: string, path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const url = new URL(k.url + path)
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method, agent: false, headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c) => {
          text += c
        })
        res.on('end', () => resolve({ status: res.statusCode!, body: text }))
        res.on('error', reject)
      },
    )
    // the server may hang up mid-upload after answering: that is the point, not a failure
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ECONNRESET') reject(e)
    })
    req.end(body)
  })
}

test('PUT /api/config accepts a body just under 1 MiB over a real socket', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const toml = tomlOfSize(MIB - 64)
    assert.equal(Buffer.byteLength(toml), MIB - 64)
    const res = await fetch(k.url + '/api/config', {
      method: 'PUT',
      body: toml,
      headers: { authorization: `Bearer ${k.token}`, 'content-type': 'application/toml' },
    })
    assert.equal(res.status, 200)
    const body = (await res.json()) as any
    assert.equal(body.status, 'ok')
    const disk = parse(readFileSync(join(k.stateDir, 'config.toml'), 'utf8')) as any
    assert.equal(disk.padding.blob, toml.slice(toml.indexOf('blob = "') + 8, -2))
    assert.equal(disk.providers.openai.api_key, 'sk-live-abcdef0123456789')
  } finally {
    await k.stop()
  }
})

test('PUT /api/config refuses 1 MiB + 1 byte with 413 and leaves the file alone', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const before = readFileSync(join(k.stateDir, 'config.toml'))
    const res = await rawSend(k, 'PUT', '/api/config', Buffer.from(tomlOfSize(MIB + 1)), { authorization: `Bearer ${k.token}`, 'content-type': 'text/plain' })
    assert.equal(res.status, 413)
    const body = JSON.parse(res.body)
    assert.equal(body.code, 'payload_too_large')
    assert.equal(body.limit, MIB)
    assert.deepEqual(readFileSync(join(k.stateDir, 'config.toml')), before)
  } finally {
    await k.stop()
  }
})

test('a chunked body (no Content-Length) over 1 MiB is cut off with 413 too', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const before = readFileSync(join(k.stateDir, 'config.toml'))
    const url = new URL(k.url + '/api/config')
    const chunk = Buffer.alloc(64 * 1024, '#')
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'PUT',
          headers: { authorization: `Bearer ${k.token}`, 'content-type': 'text/plain', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode!)
        },
      )
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE' && e.code !== 'ECONNRESET') reject(e)
      })
      let sent = 0
      // trickle chunks until the server answers; 4 MiB without an answer means no limit applied
      const pump = () => {
        if (req.destroyed) return
        if (sent >= 4 * MIB) return void req.end()
        sent += chunk.length
        req.write(chunk, () => setImmediate(pump))
      }
      pump()
    })
    assert.equal(status, 413)
    assert.deepEqual(readFileSync(join(k.stateDir, 'config.toml')), before)
  } finally {
    await k.stop()
  }
})

test('the 1 MiB allowance is per route: a 70 KB POST /api/pair still gets 413', async () => {
  const k = await startTestKernel({ plugins: ['config', 'pairing'], config: CONFIG })
  try {
    const payload = Buffer.from(JSON.stringify({ code: '12345678', device_name: 'x', pad: 'y'.repeat(70 * 1024) }))
    assert.ok(payload.length > 70 * 1024 && payload.length < MIB)
    const res = await rawSend(k, 'POST', '/api/pair', payload, { 'content-type': 'application/json' })
    assert.equal(res.status, 413)
    assert.equal(JSON.parse(res.body).limit, 65_536)
    // and the same 70 KB is fine on the config route
    const ok = await fetch(k.url + '/api/config', {
      method: 'PUT',
      body: tomlOfSize(70 * 1024),
      headers: { authorization: `Bearer ${k.token}`, 'content-type': 'text/plain' },
    })
    assert.equal(ok.status, 200)
    await ok.arrayBuffer()
  } finally {
    await k.stop()
  }
})

test('a large PUT without a token is a 401 and writes nothing', async () => {
  const k = await startTestKernel({ plugins: ['config'], config: CONFIG })
  try {
    const before = readFileSync(join(k.stateDir, 'config.toml'))
    const res = await rawSend(k, 'PUT', '/api/config', Buffer.from(tomlOfSize(MIB - 64)), { 'content-type': 'text/plain' })
    assert.equal(res.status, 401)
    assert.deepEqual(readFileSync(join(k.stateDir, 'config.toml')), before)
  } finally {
    await k.stop()
  }
})
