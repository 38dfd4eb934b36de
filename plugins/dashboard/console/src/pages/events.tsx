/**
 * Live events: the `/api/events` stream, newest first, filterable by type and by text. Only the
 * newest KEEP events stay in memory, however long the page is open.
 */
import { useMemo, useState } from 'preact/hooks'
import { useStream } from '../sse.js'
import { Page } from '../ui.js'

const KEEP = 500

export function Events() {
  const [events, setEvents] = useState<any[]>([])
  const [type, setType] = useState('')
  const [text, setText] = useState('')
  const [paused, setPaused] = useState(false)
  const state = useStream('/api/events', {}, (e) => setEvents((old) => [e, ...old].slice(0, KEEP)))
  const types = useMemo(() => [...new Set(events.map((e) => String(e.type)))].sort(), [events])
  const [frozen, setFrozen] = useState<any[]>([])
  const shown = (paused ? frozen : events).filter((e) => (!type || e.type === type) && (!text || JSON.stringify(e).toLowerCase().includes(text.toLowerCase())))
  return (
    <Page
      title="Live events"
      actions={
        <>
          <span class={`pill pill-${state}`} role="status">
            {state}
          </span>
          <button
            type="button"
            aria-pressed={paused}
            onClick={() => {
              setFrozen(events)
              setPaused(!paused)
            }}
          >
            {paused ? 'Resume' : 'Pause'}
          </button>
          <button type="button" onClick={() => setEvents([])}>
            Clear
          </button>
        </>
      }
    >
      <div class="filters">
        <label>
          Type
          <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Contains
          <input type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <p class="muted">
        {shown.length} of {events.length} events (the newest {KEEP} are kept)
      </p>
      <ol class="events" aria-live="polite" aria-relevant="additions">
        {shown.map((e, i) => (
          <li key={e.id ?? `${e.timestamp}-${i}`}>
            <span class="ev-type">{e.type}</span> <time>{e.timestamp ? new Date(e.timestamp).toLocaleTimeString() : ''}</time>
            <pre>{JSON.stringify(e, null, 1)}</pre>
          </li>
        ))}
      </ol>
    </Page>
  )
}
