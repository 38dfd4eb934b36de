/**
 * Small shared pieces: the page frame (its heading takes focus on navigation, so keyboard and
 * screen-reader users land on the new page), loading/error states, and a fetch hook.
 */
import type { ComponentChildren } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, request } from './api.js'

/** `focusHeading: false` for a page that puts the focus on its first field itself (pairing) */
export function Page(props: { title: string; actions?: ComponentChildren; children: ComponentChildren; focusHeading?: boolean }) {
  const h = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    if (props.focusHeading !== false) h.current?.focus()
  }, [props.title])
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title" tabIndex={-1} ref={h}>
          {props.title}
        </h1>
        {props.actions && <div class="actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  )
}

export function ErrorBox(props: { error: unknown }) {
  const e = props.error
  const text = e instanceof ApiError ? `${e.message}${e.code ? ` (${e.code})` : ''}` : String((e as Error)?.message ?? e)
  return (
    <p class="error" role="alert">
      {text}
    </p>
  )
}

export function NotAvailable(props: { what: string }) {
  return (
    <p class="notice" role="status">
      {props.what} is not available on this gateway: its plugin is not installed or is disabled.
    </p>
  )
}

export interface Loaded<T> {
  data?: T
  error?: unknown
  loading: boolean
  reload: () => void
}

/** GET `path` (again every `everyMs` when given); keeps the last good answer while reloading. */
export function useFetch<T = any>(path: string | null, everyMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true })
  const [tick, setTick] = useState(0)
  const reload = useCallback(() => setTick((n) => n + 1), [])
  useEffect(() => {
    if (!path) return
    let live = true
    request<T>(path).then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState((s) => ({ ...s, error, loading: false })),
    )
    const timer = everyMs ? setTimeout(reload, everyMs) : undefined
    return () => {
      live = false
      clearTimeout(timer)
    }
  }, [path, tick])
  return { ...state, reload }
}

export function duration(secs: number): string {
  const d = Math.floor(secs / 86400),
    h = Math.floor((secs % 86400) / 3600),
    m = Math.floor((secs % 3600) / 60),
    s = Math.floor(secs % 60)
  return d ? `${d}d ${h}h ${m}m` : h ? `${h}h ${m}m` : m ? `${m}m ${s}s` : `${s}s`
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—'
  const t = new Date(iso)
  return Number.isNaN(t.getTime()) ? String(iso) : t.toLocaleString()
}
