/**
 * SSE streams (`/api/events`, `/api/daemon/logs`) through EventSource, which cannot set headers:
 * the gateway takes `?token=` on exactly these routes (difference 14). EventSource reconnects by
 * itself and resumes with Last-Event-ID; when it gives up (a non-200 answer such as 401 after a
 * revocation) we ask a bearer route whether the token died, and otherwise retry after a pause.
 */
import { useEffect, useState } from 'preact/hooks'
import { token, tokenStillValid, url } from './api.js'

export type StreamState = 'connecting' | 'open' | 'retrying'
const RETRY_MS = 3000

export function useStream(path: string, params: Record<string, string>, onEvent: (data: any) => void): StreamState {
  const [state, setState] = useState<StreamState>('connecting')
  const key = path + JSON.stringify(params)
  useEffect(() => {
    let es: EventSource | null = null
    let timer: ReturnType<typeof setTimeout> | undefined
    let closed = false
    let lastId = params.last_event_id ?? ''
    const open = () => {
      const q = new URLSearchParams({ ...params, token: token() })
      if (lastId) q.set('last_event_id', lastId)
      es = new EventSource(`${url(path)}?${q}`)
      es.onopen = () => setState('open')
      es.onmessage = (m) => {
        if (m.lastEventId) lastId = m.lastEventId
        try {
          onEvent(JSON.parse(m.data))
        } catch {}
      }
      es.onerror = async () => {
        if (!es || es.readyState !== EventSource.CLOSED) return setState('connecting')
        setState('retrying')
        if (!(await tokenStillValid()) || closed) return
        timer = setTimeout(open, RETRY_MS)
      }
    }
    open()
    return () => {
      closed = true
      clearTimeout(timer)
      es?.close()
    }
  }, [key])
  return state
}
