/**
 * Test helpers for the dashboard plugin: a copy of the fixture web root the test may change (add
 * symlinks, remove index.html), and a GET over a real socket that sends the path exactly as
 * written (fetch and URL would resolve `..` before sending) and does not decompress.
 */
import { request } from 'node:http'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const FIXTURE_WEB_ROOT = fileURLToPath(new URL('../../test/fixtures/web-root/', import.meta.url))

const temps: string[] = []

/** a fresh folder holding `web/` (a copy of the fixture web root) and room for files beside it */
export function webRootCopy(): { base: string; web: string } {
  const base = mkdtempSync(join(tmpdir(), 'revka-dash-'))
  temps.push(base)
  const web = join(base, 'web')
  cpSync(FIXTURE_WEB_ROOT, web, { recursive: true })
  return { base, web }
}

export function cleanupCopies(): void {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true })
}

export interface RawAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  text: string
}

export function rawGet(baseUrl: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawAnswer> {
  const u = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}
