/**
 * One `/ws/chat` connection (contract §3.1): subprotocol `revka.v1` with the token in `?token=`
 * (a browser cannot set headers on an upgrade), a `connect` frame at once so the socket is a chat
 * and not a listen-only relay, and a reconnect after drops. Close code 4401 means the token was
 * revoked: sign out. A socket that dies before opening may have been refused with 401, which a
 * browser does not show: a bearer route is asked.
 */
import { signOut, token, tokenStillValid, wsUrl } from './api.js'

const RETRY_MS = 2000

export type Frame = { type: string; [k: string]: any }

export class ChatSocket {
  private ws: WebSocket | null = null
  private closed = false
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly sessionId: string,
    private readonly onFrame: (f: Frame) => void,
    private readonly onState: (open: boolean) => void,
  ) {
    this.open()
  }

  private open(): void {
    const q = new URLSearchParams({ session_id: this.sessionId, token: token() })
    const ws = new WebSocket(`${wsUrl('/ws/chat')}?${q}`, ['revka.v1'])
    this.ws = ws
    let opened = false
    ws.onopen = () => {
      opened = true
      ws.send(JSON.stringify({ type: 'connect', device_name: 'Revka console' }))
      this.onState(true)
    }
    ws.onmessage = (m) => {
      try {
        this.onFrame(JSON.parse(String(m.data)))
      } catch {}
    }
    ws.onclose = async (ev) => {
      this.onState(false)
      if (this.closed) return
      if (ev.code === 4401) return signOut()
      if (!opened && !(await tokenStillValid())) return
      if (!this.closed) this.timer = setTimeout(() => this.open(), RETRY_MS)
    }
  }

  /** false when the socket is not open (the caller keeps the text) */
  send(frame: Frame): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false
    this.ws.send(JSON.stringify(frame))
    return true
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    this.ws?.close(1000)
  }
}

/** a new session id the gateway accepts (1–128 of A–Z a–z 0–9 _ -), without needing a secure context */
export function newSessionId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}
