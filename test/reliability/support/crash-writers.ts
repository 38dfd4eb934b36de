/**
 * The concurrent writers of the crash test, and the record of what the gateway ACKNOWLEDGED: a
 * write counts only once its 2xx (or, for chat, its `done` frame) has arrived. What was sent but
 * not answered when the process died is "in flight": it may or may not have landed.
 */
import WebSocket from 'ws'

export interface Acks {
  /** bearer tokens from POST /api/pair */
  tokens: string[]
  /** config markers, in the order their PUTs were acknowledged (one writer, so also write order) */
  config: string[]
  /** the config marker whose PUT was sent but never answered */
  configInFlight: string | null
  /** agent_id of each acknowledged POST /api/cost/usage */
  usage: string[]
  /** chat exchanges whose `done` frame arrived */
  chat: Array<{ sid: string; user: string; assistant: string }>
  webhooks: number
  /** answers that were neither a 2xx nor a dropped connection: the writers' own bugs, or the gateway's */
  unexpected: string[]
}

export function emptyAcks(): Acks {
  return { tokens: [], config: [], configInFlight: null, usage: [], chat: [], webhooks: 0, unexpected: [] }
}

export interface Target {
  url: string
  admin: string
  service: string
}

export const USAGE_COST = 0.5

async function call(t: Target, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(t.url + path, {
    method,
    headers: {
      ...(typeof body === 'string' ? { 'content-type': 'text/plain' } : body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: typeof body === 'string' ? body : body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(8000),
  })
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = text
  }
  return { status: res.status, json }
}

type Loop = (stopped: () => boolean) => Promise<void>

/** Repeat `op` until stopped or the gateway stops answering (a dropped connection ends the loop). */
function repeat(acks: Acks, what: string, op: (i: number) => Promise<void>): Loop {
  return async (stopped) => {
    for (let i = 0; !stopped(); i++) {
      try {
        await op(i)
      } catch (e) {
        if (!(e instanceof Unexpected)) return // the process is gone (or going): this writer is done
        acks.unexpected.push(`${what}: ${e.message}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    }
  }
}

class Unexpected extends Error {}

function expect2xx(r: { status: number; json: any }, what: string): any {
  if (r.status < 200 || r.status >= 300) throw new Unexpected(`${what} → ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`)
  return r.json
}

export function pairingWriter(t: Target, acks: Acks, round: number): Loop {
  return repeat(acks, 'pairing', async (i) => {
    const code = expect2xx(await call(t, 'POST', '/admin/paircode/new', undefined), 'paircode/new').pairing_code
    const r = expect2xx(await call(t, 'POST', '/api/pair', { code, device_name: `crash-r${round}-${i}` }), 'api/pair')
    acks.tokens.push(r.token)
  })
}

/** `toml(marker)` is the whole file: PUT replaces config.toml */
export function configWriter(t: Target, acks: Acks, round: number, toml: (marker: string) => string): Loop {
  return repeat(acks, 'config', async (i) => {
    const marker = `r${round}-${i}`
    acks.configInFlight = marker
    expect2xx(await call(t, 'PUT', '/api/config', toml(marker), { authorization: `Bearer ${t.admin}` }), 'PUT /api/config')
    acks.config.push(marker)
    acks.configInFlight = null
  })
}

export function costWriter(t: Target, acks: Acks, round: number, w: number): Loop {
  return repeat(acks, 'cost', async (i) => {
    const agentId = `crash-r${round}-w${w}-${i}`
    const body = { model: 'crash-model', provider: 'crash', input_tokens: 3, output_tokens: 4, cost_usd: USAGE_COST, source: 'crash-test', agent_id: agentId }
    expect2xx(await call(t, 'POST', '/api/cost/usage', body, { 'x-revka-service-token': t.service }), 'POST /api/cost/usage')
    acks.usage.push(agentId)
  })
}

export function webhookWriter(t: Target, acks: Acks, round: number): Loop {
  return repeat(acks, 'webhook', async (i) => {
    const r = await call(
      t,
      'POST',
      '/webhook',
      { message: `crash webhook r${round} #${i}` },
      { authorization: `Bearer ${t.admin}`, 'x-session-id': `crash-hook-r${round}-${i}` },
    )
    expect2xx(r, 'POST /webhook')
    acks.webhooks++
  })
}

/**
 * One `/ws/chat` session (the same id every round, so history accumulates across crashes) sending
 * messages one after another; an exchange counts once its `done` frame arrived.
 */
export function chatWriter(t: Target, acks: Acks, round: number, sid: string): Loop {
  return async (stopped) => {
    const ws = new WebSocket(`${t.url.replace(/^http/, 'ws')}/ws/chat?session_id=${sid}`, ['revka.v1'], { headers: { authorization: `Bearer ${t.admin}` } })
    const frames: any[] = []
    let wake: (() => void) | null = null
    let closed = false
    ws.on('message', (d) => {
      try {
        frames.push(JSON.parse(String(d)))
      } catch {}
      wake?.()
    })
    ws.on('close', () => {
      closed = true
      wake?.()
    })
    ws.on('error', () => {
      closed = true
      wake?.()
    })
    ws.on('unexpected-response', (_q, res) => {
      acks.unexpected.push(`chat upgrade → ${res.statusCode}`)
      closed = true
      wake?.()
    })
    const next = async (type: string): Promise<any> => {
      for (;;) {
        const i = frames.findIndex((f) => f.type === type || f.type === 'error')
        if (i >= 0) return frames.splice(0, i + 1)[i]
        if (closed || stopped()) return null
        await new Promise<void>((r) => {
          wake = r
          setTimeout(r, 500)
        })
        wake = null
      }
    }
    try {
      const start = await next('session_start')
      if (!start) return
      if (start.type !== 'session_start') {
        acks.unexpected.push(`chat open → ${JSON.stringify(start).slice(0, 200)}`)
        return
      }
      for (let i = 0; !stopped(); i++) {
        const content = `crash chat ${sid} r${round} #${i}`
        ws.send(JSON.stringify({ type: 'message', content }))
        const done = await next('done')
        if (!done) return
        if (done.type === 'error') {
          acks.unexpected.push(`chat turn → ${JSON.stringify(done).slice(0, 200)}`)
          return
        }
        acks.chat.push({ sid, user: content, assistant: done.full_response })
      }
    } finally {
      ws.terminate()
    }
  }
}
