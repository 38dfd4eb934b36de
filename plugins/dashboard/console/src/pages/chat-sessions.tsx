/**
 * The chat session list: newest activity first, paged by `next_before`; open (resume) and rename.
 */
import { useEffect, useState } from 'preact/hooks'
import { request } from '../api.js'
import { ErrorBox, when } from '../ui.js'

export interface SessionRow {
  id: string
  name?: string
  last_activity: string
  message_count: number
  status: string
}

const PAGE = 20

export function SessionList(props: { current: string; refresh: number; onOpen: (id: string) => void; onNew: () => void }) {
  const [rows, setRows] = useState<SessionRow[]>([])
  const [next, setNext] = useState<string | undefined>()
  const [error, setError] = useState<unknown>(null)
  const [editing, setEditing] = useState<string | null>(null)
  const [draft, setDraft] = useState('')

  const load = async (before?: string) => {
    try {
      const q = new URLSearchParams({ limit: String(PAGE) })
      if (before) q.set('before', before)
      const r = await request<{ sessions: SessionRow[]; next_before?: string }>(`/api/sessions?${q}`)
      setRows((old) => (before ? [...old, ...r.sessions] : r.sessions))
      setNext(r.next_before)
      setError(null)
    } catch (e) {
      setError(e)
    }
  }
  useEffect(() => {
    load()
  }, [props.refresh])

  const rename = async (e: Event, id: string) => {
    e.preventDefault()
    try {
      const r = await request<{ name: string }>(`/api/sessions/${encodeURIComponent(id)}`, { method: 'PUT', json: { name: draft } })
      setRows((old) => old.map((s) => (s.id === id ? { ...s, name: r.name } : s)))
      setEditing(null)
    } catch (err) {
      setError(err)
    }
  }

  return (
    <nav class="sessions" aria-label="Chat sessions">
      <button type="button" onClick={props.onNew}>
        New chat
      </button>
      {error ? <ErrorBox error={error} /> : null}
      <ul class="plain">
        {rows.map((s) => (
          <li key={s.id} class={s.id === props.current ? 'current' : ''} data-session={s.id}>
            {editing === s.id ? (
              <form onSubmit={(e) => rename(e, s.id)} class="rename">
                <label class="sr-only" for={`rename-${s.id}`}>
                  New name
                </label>
                <input
                  id={`rename-${s.id}`}
                  value={draft}
                  maxLength={200}
                  autoFocus
                  onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Escape') setEditing(null)
                  }}
                />
                <button type="submit">Save</button>
              </form>
            ) : (
              <>
                <button type="button" class="link" aria-current={s.id === props.current ? 'true' : undefined} onClick={() => props.onOpen(s.id)}>
                  {s.name ?? `Chat ${s.id.slice(0, 8)}`}
                </button>
                <small>
                  {s.message_count} messages · {when(s.last_activity)}
                </small>
                <button
                  type="button"
                  class="small"
                  aria-label={`Rename ${s.name ?? s.id}`}
                  onClick={() => {
                    setEditing(s.id)
                    setDraft(s.name ?? '')
                  }}
                >
                  Rename
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      {next && (
        <button type="button" onClick={() => load(next)}>
          Older sessions
        </button>
      )}
    </nav>
  )
}
