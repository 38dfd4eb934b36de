/**
 * Pages for the domain route groups (agents, skills, teams, workflows, cron, audit, doctor). Each
 * lists what its routes answer as a table with the full record on demand. A group whose routes
 * answer 404 (its plugin is not installed, disabled, or not built yet) says so instead of erroring.
 */
import { useState } from 'preact/hooks'
import { ApiError, request } from '../api.js'
import { ErrorBox, NotAvailable, Page, useFetch } from '../ui.js'

interface Action {
  label: string
  path: string
  body: unknown
}
interface Section {
  label: string
  path: string
  key: string
  detail?: (item: any) => string | null
  actions?: (item: any) => Action[]
}

/** a run waiting at a human_approval step can be approved or rejected (DOMAIN §7.2) */
function approvals(run: any): Action[] {
  const id = run.run_id ?? run.id
  if (!id || !/approv|waiting|paused/i.test(String(run.status ?? ''))) return []
  const path = `/api/workflows/runs/${encodeURIComponent(id)}/approve`
  return [
    { label: 'Approve', path, body: { approved: true } },
    { label: 'Reject', path, body: { approved: false } },
  ]
}
export interface Group {
  title: string
  sections: Section[]
}

export const GROUPS: Record<string, Group> = {
  '/agents': { title: 'Agents', sections: [{ label: 'Agents', path: '/api/agents?per_page=50', key: 'agents' }] },
  '/skills': { title: 'Skills', sections: [{ label: 'Skills', path: '/api/skills?per_page=50', key: 'skills' }] },
  '/teams': { title: 'Teams', sections: [{ label: 'Teams', path: '/api/teams?per_page=50', key: 'teams' }] },
  '/workflows': {
    title: 'Workflows',
    sections: [
      { label: 'Workflows', path: '/api/workflows', key: 'workflows' },
      {
        label: 'Runs and approvals',
        path: '/api/workflows/runs?limit=50',
        key: 'runs',
        detail: (r) => ((r.run_id ?? r.id) ? `/api/workflows/runs/${encodeURIComponent(r.run_id ?? r.id)}` : null),
        actions: approvals,
      },
    ],
  },
  '/cron': {
    title: 'Cron',
    sections: [{ label: 'Jobs', path: '/api/cron', key: 'jobs', detail: (j) => (j.id ? `/api/cron/${encodeURIComponent(j.id)}/runs?limit=20` : null) }],
  },
  '/audit': { title: 'Audit log', sections: [{ label: 'Events', path: '/api/audit?limit=200', key: 'events' }] },
  '/doctor': { title: 'Doctor', sections: [{ label: 'Checks', path: '/api/doctor', key: 'results' }] },
}

const PREFERRED = [
  'name',
  'title',
  'id',
  'run_id',
  'kref',
  'status',
  'severity',
  'category',
  'schedule',
  'next_run',
  'timestamp',
  'event_type',
  'action.command',
  'actor.username',
  'result.success',
  'message',
  'created_at',
]

/** scalars, and the scalars of nested objects one level down as `outer.inner` (audit events nest) */
function flat(item: any): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(item ?? {})) {
    if (v === null || typeof v !== 'object') out[k] = v
    else if (!Array.isArray(v)) for (const [k2, v2] of Object.entries(v)) if (v2 === null || typeof v2 !== 'object') out[`${k}.${k2}`] = v2
  }
  return out
}

function columns(items: Record<string, unknown>[]): string[] {
  const keys = new Set<string>()
  for (const it of items.slice(0, 20)) for (const k of Object.keys(it)) keys.add(k)
  return [...PREFERRED.filter((k) => keys.has(k)), ...[...keys].filter((k) => !PREFERRED.includes(k))].slice(0, 6)
}

function Detail(props: { path: string }) {
  const d = useFetch(props.path)
  return d.error ? <ErrorBox error={d.error} /> : <pre class="json">{d.data ? JSON.stringify(d.data, null, 2) : 'Loading…'}</pre>
}

function Row(props: { item: any; cols: string[]; section: Section; onDone: () => void }) {
  const [open, setOpen] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const more = props.section.detail?.(props.item)
  const cells = flat(props.item)
  const name = String(cells[props.cols[0]] ?? '')
  const run = async (a: Action) => {
    setError(null)
    try {
      await request(a.path, { method: 'POST', json: a.body })
      props.onDone()
    } catch (e) {
      setError(e)
    }
  }
  return (
    <>
      <tr>
        {props.cols.map((c, i) =>
          i === 0 ? (
            <th key={c} scope="row">
              {String(cells[c] ?? '')}
            </th>
          ) : (
            <td key={c}>{String(cells[c] ?? '')}</td>
          ),
        )}
        <td>
          <div class="row-actions">
            {props.section.actions?.(props.item).map((a) => (
              <button key={a.label} type="button" onClick={() => run(a)} aria-label={`${a.label} ${name}`}>
                {a.label}
              </button>
            ))}
            <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
              {open ? 'Hide' : 'Details'}
            </button>
          </div>
          {error ? <ErrorBox error={error} /> : null}
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={props.cols.length + 1}>{more ? <Detail path={more} /> : <pre class="json">{JSON.stringify(props.item, null, 2)}</pre>}</td>
        </tr>
      )}
    </>
  )
}

function SectionView(props: { section: Section }) {
  const { section } = props
  const r = useFetch<any>(section.path)
  if (r.error instanceof ApiError && r.error.notFound) return <NotAvailable what={section.label} />
  if (r.error) return <ErrorBox error={r.error} />
  if (!r.data) return <p aria-busy="true">Loading…</p>
  const items: any[] = Array.isArray(r.data[section.key]) ? r.data[section.key] : []
  const cols = columns(items.map(flat))
  return (
    <>
      {r.data.summary && (
        <p>
          {Object.entries(r.data.summary)
            .map(([k, v]) => `${k}: ${v}`)
            .join(' · ')}
        </p>
      )}
      {items.length ? (
        <table class="grid" aria-label={section.label}>
          <thead>
            <tr>
              {cols.map((c) => (
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
              <th scope="col">
                <span class="sr-only">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((it, i) => (
              <Row key={i} item={it} cols={cols} section={section} onDone={r.reload} />
            ))}
          </tbody>
        </table>
      ) : (
        <p>Nothing here yet.</p>
      )}
    </>
  )
}

export function Domain(props: { group: Group }) {
  const { group } = props
  return (
    <Page title={group.title}>
      {group.sections.map((s) => (
        <div key={s.path}>
          {group.sections.length > 1 && <h2>{s.label}</h2>}
          <SectionView section={s} />
        </div>
      ))}
    </Page>
  )
}
