/**
 * Overview: liveness (`/health`), the status document (`/api/status`) and one row per plugin:
 * its state, since when (the health component's last change) and any error.
 */
import { ErrorBox, Page, duration, useFetch, when } from '../ui.js'

interface Component {
  status: string
  updated_at: string
  last_ok: string | null
  last_error: string | null
  restart_count: number
}
interface Status {
  provider: string | null
  model: string
  version?: string
  uptime_seconds: number
  gateway_port: number
  paired: boolean
  require_pairing?: boolean
  plugins?: { id: string; version: string; status: string; diagnostic?: string }[]
  health: { pid: number; uptime_seconds: number; components: Record<string, Component> }
}

export function Overview() {
  const health = useFetch<{ status: string }>('/health', 5000)
  const status = useFetch<Status>('/api/status', 5000)
  const s = status.data
  const components = s?.health?.components ?? {}
  return (
    <Page title="Overview">
      {status.error ? <ErrorBox error={status.error} /> : null}
      {s && (
        <dl class="facts">
          <div>
            <dt>Health</dt>
            <dd class={`state state-${health.data?.status ?? 'unknown'}`}>{health.data?.status ?? '…'}</dd>
          </div>
          <div>
            <dt>Uptime</dt>
            <dd>{duration(s.uptime_seconds)}</dd>
          </div>
          <div>
            <dt>Version</dt>
            <dd>{s.version ?? '—'}</dd>
          </div>
          <div>
            <dt>Model</dt>
            <dd>
              {s.provider ?? 'none'} / {s.model}
            </dd>
          </div>
          <div>
            <dt>Port</dt>
            <dd>{s.gateway_port}</dd>
          </div>
          <div>
            <dt>Pairing</dt>
            <dd>{s.require_pairing === false ? 'off' : s.paired ? 'paired' : 'waiting for a device'}</dd>
          </div>
        </dl>
      )}
      <h2>Plugins</h2>
      {s?.plugins ? (
        <table class="grid" aria-label="Plugins">
          <thead>
            <tr>
              <th scope="col">Plugin</th>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Since</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {s.plugins.map((p) => {
              const c = components[`plugin:${p.id}`]
              const err = p.diagnostic ?? c?.last_error
              return (
                <tr key={p.id} data-plugin={p.id}>
                  <th scope="row">{p.id}</th>
                  <td>{p.version}</td>
                  <td>
                    <span class={`state state-${p.status}`}>{p.status}</span>
                    {c?.restart_count ? ` (restarted ${c.restart_count}×)` : ''}
                  </td>
                  <td>{when(c?.updated_at)}</td>
                  <td class="err">{err ?? ''}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      ) : (
        !status.error && <p aria-busy="true">Loading…</p>
      )}
      {Object.keys(components).some((k) => !k.startsWith('plugin:')) && (
        <>
          <h2>Components</h2>
          <ul class="plain">
            {Object.entries(components)
              .filter(([k]) => !k.startsWith('plugin:'))
              .map(([k, c]) => (
                <li key={k}>
                  <strong>{k}</strong>: <span class={`state state-${c.status}`}>{c.status}</span>
                  {c.last_error ? ` — ${c.last_error}` : ''}
                </li>
              ))}
          </ul>
        </>
      )}
    </Page>
  )
}
