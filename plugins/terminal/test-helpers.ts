/** Shared by the terminal tests: a kernel on a real port and a WebSocket terminal client. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import WebSocket from 'ws'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

/**
 * Give this test process (each test file runs in its own) an empty HOME, so login shells read
 * only /etc/profile: the developer's dotfiles neither slow the tests down nor change their output.
 */
export function isolateHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'revka-term-home-'))
  const before = process.env.HOME
  process.env.HOME = home
  after(() => {
    if (before === undefined) delete process.env.HOME
    else process.env.HOME = before
    rmSync(home, { recursive: true, force: true })
  })
  return home
}

export async function bootTerminal(extra: { config?: string; options?: Record<string, unknown>; env?: Record<string, string> } = {}): Promise<TestKernel> {
  return startTestKernel({ plugins: ['terminal', 'status'], listen: true, config: extra.config, env: extra.env, options: { terminal: extra.options ?? {} } })
}

export interface TermClient {
  ws: WebSocket
  /** everything received so far */
  readonly output: string
  send(text: string): void
  /** resolve with the output once `re` matches what arrived after `from` (default: everything) */
  waitFor(re: RegExp, opts?: { from?: number; timeoutMs?: number }): Promise<RegExpMatchArray>
  closed: Promise<{ code: number; reason: string }>
}

export async function openTerm(k: TestKernel, query = '', token = k.token): Promise<TermClient> {
  const url = `${k.url!.replace(/^http/, 'ws').replace(/\/$/, '')}/ws/terminal${query ? `?${query}` : ''}`
  const ws = new WebSocket(url, ['revka.v1'], { headers: { authorization: `Bearer ${token}` } })
  let output = ''
  const waiters = new Set<() => void>()
  ws.on('message', (d, isBinary) => {
    if (isBinary) throw new Error('terminal output must arrive as text frames')
    output += String(d)
    for (const w of waiters) w()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => {
      for (const w of waiters) w()
      resolve({ code, reason: String(reason) })
    }),
  )
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const client: TermClient = {
    ws,
    get output() {
      return output
    },
    send: (text) => ws.send(text),
    closed,
    waitFor(re, { from = 0, timeoutMs = 10_000 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = output.slice(from).match(re)
          if (m) {
            done()
            resolve(m)
          } else if (ws.readyState === WebSocket.CLOSED) {
            done()
            reject(new Error(`socket closed before ${re}; output: ${JSON.stringify(output.slice(-500))}`))
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`timed out waiting for ${re}; output: ${JSON.stringify(output.slice(-500))}`))
        }, timeoutMs)
        const done = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
  }
  return client
}

/** true while a process with this pid exists */
/**
 * A whole output line reading exactly `text`. Commands are typed before the shell has printed its
 * first prompt, so the tty echoes them at once and the prompt (`# ` for sh as root, `$ `, or a bash
 * `user@host:~# `) can land in front of the first output line: an optional prompt is allowed there.
 */
export function outputLine(text: string): RegExp {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^(?:.*[#$%>] )?${escaped}\\r?$`, 'm')
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export async function waitGone(pid: number, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (!alive(pid)) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return !alive(pid)
}

export function upgradeStatus(k: TestKernel, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const url = `${k.url!.replace(/^http/, 'ws').replace(/\/$/, '')}/ws/terminal`
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['revka.v1'], { headers })
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c) => {
        body += c
      })
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    ws.once('open', () => {
      ws.close()
      reject(new Error('upgrade was accepted'))
    })
    ws.once('error', () => {})
  })
}
