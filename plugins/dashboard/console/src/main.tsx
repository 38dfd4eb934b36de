/**
 * The Revka operator console: pairing until this browser holds a token, then the pages. Any 401
 * (or a socket closed with 4401) drops the token and brings pairing back.
 */
import { render, type JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { loadSession, onUnauthorized, request, signOut } from './api.js'
import { Chat } from './pages/chat.js'
import { Config } from './pages/config.js'
import { Cost } from './pages/cost.js'
import { Devices } from './pages/devices.js'
import { Domain, GROUPS } from './pages/domain.js'
import { Events } from './pages/events.js'
import { Logs } from './pages/logs.js'
import { Overview } from './pages/overview.js'
import { Pairing } from './pages/pairing.js'
import { linkProps, usePath } from './router.js'
import { applyTheme, loadTheme, nextTheme, type Theme } from './theme.js'
import { Page } from './ui.js'
import './styles.css'

const PAGES: [string, string, () => JSX.Element][] = [
  ['/', 'Overview', Overview],
  ['/chat', 'Chat', Chat],
  ['/events', 'Live events', Events],
  ['/devices', 'Devices', Devices],
  ['/config', 'Config', Config],
  ['/cost', 'Cost', Cost],
  ['/logs', 'Logs', Logs],
]

function NotFound() {
  return (
    <Page title="Not found">
      <p>
        There is no such page. <a {...linkProps('/')}>Go to the overview</a>.
      </p>
    </Page>
  )
}

/** Sign out for real: this browser's device is revoked, so its token is worthless wherever it was copied. */
async function signOutHere() {
  if (!confirm('Sign out? This browser’s token is revoked; you will have to pair again.')) return
  const id = loadSession()?.deviceId
  if (id) await request(`/api/devices/${encodeURIComponent(id)}`, { method: 'DELETE' }).catch(() => {})
  signOut()
}

function App() {
  const [paired, setPaired] = useState(() => loadSession() !== null)
  const [theme, setTheme] = useState(loadTheme)
  const path = usePath()
  // applied in the click itself, not in an effect after the next paint: the page changes colour
  // at once, and anything reading data-theme right after the click sees the new value
  const pickTheme = (t: Theme) => {
    applyTheme(t)
    setTheme(t)
  }
  useEffect(() => onUnauthorized(() => setPaired(false)), [])

  const themeButton = (
    <button type="button" class="theme" onClick={() => pickTheme(nextTheme(theme))} aria-label={`Colour theme: ${theme}. Change it`}>
      Theme: {theme}
    </button>
  )
  if (!paired)
    return (
      <>
        <div class="topbar">{themeButton}</div>
        <Pairing onPaired={() => setPaired(true)} />
      </>
    )

  const page = PAGES.find(([p]) => p === path)
  const group = GROUPS[path]
  const Current = page?.[2]
  const body = Current ? <Current key={path} /> : group ? <Domain key={path} group={group} /> : <NotFound />
  const link = (p: string, label: string) => (
    <li key={p}>
      <a {...linkProps(p)} aria-current={p === path ? 'page' : undefined}>
        {label}
      </a>
    </li>
  )
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <strong class="brand">Revka</strong>
        {themeButton}
        <button type="button" onClick={signOutHere}>
          Sign out
        </button>
      </header>
      <nav class="side" aria-label="Pages">
        <ul>{PAGES.map(([p, label]) => link(p, label))}</ul>
        <ul>{Object.entries(GROUPS).map(([p, g]) => link(p, g.title))}</ul>
      </nav>
      <main id="main">{body}</main>
    </div>
  )
}

// the stored choice is on <html> before the first paint, so a reload never flashes the other theme
applyTheme(loadTheme())
render(<App />, document.getElementById('app')!)
// the first render is synchronous: this mark is when the first page is on screen (bench/console.js reads it)
performance.mark('revka:first-render')
