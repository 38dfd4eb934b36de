/**
 * The operator console in a real browser (Debian chromium via playwright-core) against a real
 * gateway started here: pairing with the printed code, the overview's plugins, a streamed chat
 * reply with a tool call, stop, revocation ending another browser's session, a config error shown
 * at its line, and the cost chart. `npm run test:browser`; screenshots of failures go to
 * .tmp/browser-artifacts/. REVKA_UPDATE_SCREENSHOT=1 also rewrites docs/console.png.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { launch, pairInBrowser, withPage } from './support/browser.js'
import { ROOT, startGateway, type Gateway } from './support/gateway.js'

let gw: Gateway
let browser: Browser
/**
 * A token of the test's own, for checking what the gateway says behind the page. Paired on first
 * use, after the first test used the printed code (a new code replaces the printed one).
 */
let checker: string | undefined
async function asChecker(): Promise<Record<string, string>> {
  checker ??= (await gw.pair('checker')).token
  return { authorization: `Bearer ${checker}` }
}

/** pair a fresh browser page with a new code and open `path` */
async function pairedAt(page: Page, path: string, name = 'Test browser'): Promise<void> {
  await pairInBrowser(page, gw.url, await gw.newCode(), name)
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: path, exact: true }).click()
}

async function sendChat(page: Page, text: string): Promise<void> {
  await page.getByRole('status').filter({ hasText: 'connected' }).waitFor()
  await page.getByLabel('Message').fill(text)
  await page.getByRole('button', { name: 'Send' }).click()
}

/**
 * waits (up to 20 s) until /health is past 'starting' and none of its components is starting
 * (public: asking /api/status would pair the checker, which replaces the printed code)
 */
async function settled(url: string): Promise<void> {
  const until = Date.now() + 20_000
  for (;;) {
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string; components?: Record<string, { status?: string }> }
    const busy = Object.values(health.components ?? {}).some((c) => c?.status === 'starting')
    if (health.status !== 'starting' && !busy) return
    if (Date.now() > until) throw new Error(`the gateway did not settle: health ${health.status}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('operator console (browser)', () => {
  before(async () => {
    gw = await startGateway()
    browser = await launch()
  })
  after(async () => {
    await browser?.close()
    await gw?.stop()
  })

  it('pairs with the printed code and lists every plugin on the overview', async () => {
    await withPage(browser, 'overview', async (page) => {
      // heavy plugins start after listen: compare the page with a gateway that has settled, or
      // the page and the later fetches can see two different moments of its start
      await settled(gw.url)
      await pairInBrowser(page, gw.url, gw.code, 'Operator laptop')
      const status = (await (await fetch(`${gw.url}/api/status`, { headers: await asChecker() })).json()) as { plugins: { id: string; status: string }[] }
      const table = page.getByRole('table', { name: 'Plugins' })
      for (const p of status.plugins) {
        const row = table.locator(`tr[data-plugin="${p.id}"]`)
        await row.waitFor()
        assert.equal((await row.locator('td').nth(1).innerText()).trim(), p.status, `state of ${p.id}`)
      }
      assert.ok(
        status.plugins.some((p) => p.id === 'dashboard'),
        'the dashboard plugin itself is listed',
      )
      const health = (await (await fetch(`${gw.url}/health`)).json()) as { status: string }
      assert.equal(await page.locator('.facts dd.state').first().innerText(), health.status)
      if (process.env.REVKA_UPDATE_SCREENSHOT === '1') {
        await page.setViewportSize({ width: 1000, height: 640 })
        await page.screenshot({ path: join(ROOT, 'docs/console.png'), type: 'png' })
      }
      // a reload keeps the token (still the overview, not pairing) and the chosen theme
      await page.getByRole('button', { name: /^Colour theme: system/ }).click()
      assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark')
      await page.reload()
      await page.getByRole('heading', { name: 'Overview' }).waitFor()
      assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark')
    })
  })

  it('streams a reply, shows a tool call as it runs, takes an attachment, steers, stops, renames and resumes a session', async () => {
    await withPage(browser, 'chat', async (page) => {
      await pairedAt(page, 'Chat')
      await sendChat(page, 'hello from the browser test, please answer at some length')
      // partial text is on screen while the reply is still streaming, then the final reply
      const streaming = page.locator('li[data-kind="assistant"][data-streaming="true"]')
      await streaming.waitFor()
      const partial = await streaming.innerText()
      const final = page.locator('li[data-kind="assistant"]:not([data-streaming])').last()
      await final.waitFor()
      const full = await final.innerText()
      assert.match(full, /You said: "hello from the browser test/)
      assert.ok(partial.length > 0 && partial.length < full.length, `streamed ${partial.length} of ${full.length} characters before the end`)

      // the session exists now: a file goes up as an attachment and the model sees it
      await page.getByLabel('Attach files').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('attached words for the model') })
      await sendChat(page, 'what did I attach?')
      await page.locator('li[data-kind="assistant"]:not([data-streaming])', { hasText: 'You attached one item' }).waitFor()

      await sendChat(page, '/tool current_time {}')
      const tool = page.locator('li[data-kind="tool"]').last()
      await tool.getByText('current_time').waitFor()
      await tool.locator('.tool-output').waitFor()
      await page.locator('li[data-kind="assistant"]:not([data-streaming])', { hasText: 'The tool current_time answered' }).waitFor()

      // typing during a turn steers it
      await sendChat(page, 'a reply to steer while it streams')
      await page.locator('li[data-kind="assistant"][data-streaming="true"]').waitFor()
      await page.getByLabel('Steer the running turn').fill('mention the weather too')
      await page.getByRole('button', { name: 'Steer' }).click()
      await page.locator('li[data-kind="note"]', { hasText: 'steering' }).waitFor()
      // the turn ends with one final reply; nothing is left marked as streaming
      await page.getByRole('button', { name: 'Send' }).waitFor()
      // the Send button can come back a frame before the last streamed item is settled: wait for
      // it (a reply left marked as streaming for good still fails here, after the timeout)
      await page.waitForFunction("document.querySelectorAll('li[data-streaming]').length === 0", undefined, { timeout: 10_000 })
      assert.equal(await page.locator('li[data-streaming]').count(), 0)

      await sendChat(page, 'one more long reply, which this test stops before it ends')
      await page.locator('li[data-kind="assistant"][data-streaming="true"]').waitFor()
      await page.getByRole('button', { name: 'Stop' }).click()
      await page.locator('li[data-kind="note"]', { hasText: 'Stopped current Operator turn.' }).waitFor()

      // the session is in the list; renaming it shows the new name
      const item = page.locator('.sessions li.current')
      await item.getByRole('button', { name: /^Rename/ }).click()
      await page.getByLabel('New name').fill('Browser test chat')
      await page.getByRole('button', { name: 'Save' }).click()
      await page.locator('.sessions li.current', { hasText: 'Browser test chat' }).waitFor()

      // a new chat starts empty; opening the renamed one resumes it with its history
      await page.getByRole('button', { name: 'New chat' }).click()
      await page.getByRole('status').filter({ hasText: 'connected' }).waitFor()
      // the status can still show the old chat's socket for a moment: wait for the new, empty one
      await page.waitForFunction("document.querySelectorAll('ol.transcript > li').length === 0", undefined, { timeout: 10_000 })
      assert.equal(await page.locator('ol.transcript > li').count(), 0)
      await page.getByRole('button', { name: 'Browser test chat', exact: true }).click()
      await page.locator('li[data-kind="user"]', { hasText: 'hello from the browser test' }).waitFor()
      await page.locator('li[data-kind="assistant"]', { hasText: 'The tool current_time answered' }).waitFor()
    })
  })

  it('revoking a device ends its live session: that browser is back at pairing', async () => {
    const ctxB = await browser.newContext()
    const pageB = await ctxB.newPage()
    try {
      await pairedAt(pageB, 'Chat', 'Doomed tablet')
      await pageB.getByRole('status').filter({ hasText: 'connected' }).waitFor()
      await withPage(browser, 'revoke', async (page) => {
        await pairedAt(page, 'Devices', 'Admin browser')
        const row = page.getByRole('row').filter({ hasText: 'Doomed tablet' })
        page.once('dialog', (d) => void d.accept())
        await row.getByRole('button', { name: 'Revoke Doomed tablet' }).click()
        await page.getByRole('status').filter({ hasText: 'Revoked Doomed tablet' }).waitFor()
        await page.getByRole('row').filter({ hasText: 'Doomed tablet' }).waitFor({ state: 'detached' })
        const devices = (await (await fetch(`${gw.url}/api/devices`, { headers: await asChecker() })).json()) as { devices: { name: string }[] }
        assert.ok(!devices.devices.some((d) => d.name === 'Doomed tablet'), 'the gateway no longer lists it')
      })
      // no action on B: its socket was closed by the gateway (4401) and it dropped the token
      await pageB.getByRole('heading', { name: 'Pair this browser' }).waitFor()
      await pageB.reload()
      await pageB.getByRole('heading', { name: 'Pair this browser' }).waitFor()
    } finally {
      await ctxB.close()
    }
  })

  it("rotating this browser's token keeps it signed in, the old token stops working, and signing out revokes the new one", async () => {
    await withPage(browser, 'rotate', async (page) => {
      await pairedAt(page, 'Devices', 'Rotating browser')
      const tokenNow = `(() => { const k = Object.keys(localStorage).find((k) => k.startsWith('revka.token')); return k ? JSON.parse(localStorage.getItem(k)).token : null })()`
      const old = (await page.evaluate(tokenNow)) as string
      await page.getByRole('button', { name: 'Rotate the token of Rotating browser' }).click()
      await page.getByRole('status').filter({ hasText: 'This browser now uses its new token' }).waitFor()
      const fresh = (await page.evaluate(tokenNow)) as string
      assert.notEqual(fresh, old)
      assert.equal((await fetch(`${gw.url}/api/devices`, { headers: { authorization: `Bearer ${old}` } })).status, 401)
      await page.getByRole('link', { name: 'Overview', exact: true }).click()
      await page.locator('tr[data-plugin="chat"]').waitFor()

      // signing out revokes the device: back to pairing, and the token is worthless elsewhere too
      page.once('dialog', (d) => void d.accept())
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.getByRole('heading', { name: 'Pair this browser' }).waitFor()
      assert.equal((await fetch(`${gw.url}/api/devices`, { headers: { authorization: `Bearer ${fresh}` } })).status, 401)
    })
  })

  it('shows a config error at its line and writes nothing', async () => {
    await withPage(browser, 'config', async (page) => {
      await pairedAt(page, 'Config')
      const editor = page.getByLabel('config.toml')
      await page.waitForFunction('document.getElementById("config-text").value.length > 0')
      const before = await editor.inputValue()
      const lines = before.replace(/\n$/, '').split('\n')
      await editor.fill([...lines, 'broken = = 1', ''].join('\n'))
      await page.getByRole('button', { name: 'Save' }).click()
      const badLine = lines.length + 1
      await page
        .getByRole('alert')
        .filter({ hasText: `Line ${badLine}:` })
        .waitFor()
      assert.equal((await page.locator('.gutter .bad').innerText()).trim(), String(badLine))
      assert.equal(await editor.getAttribute('aria-invalid'), 'true')
      const now = (await (await fetch(`${gw.url}/api/config`, { headers: await asChecker() })).json()) as { content: string }
      assert.equal(now.content, before, 'config.toml is unchanged')
    })
  })

  it('names protected keys a remote browser may not change, at their line, and writes nothing', async () => {
    // a forwarded request is never local (difference 6), so [gateway] keys are refused with 403
    await withPage(
      browser,
      'config-protected',
      async (page) => {
        await pairedAt(page, 'Config', 'Remote browser')
        const editor = page.getByLabel('config.toml')
        await page.waitForFunction('document.getElementById("config-text").value.length > 0')
        const before = await editor.inputValue()
        const line = before.split('\n').findIndex((l) => l.startsWith('pair_rate_limit_per_minute')) + 1
        assert.ok(line > 0)
        await editor.fill(before.replace('pair_rate_limit_per_minute = 120', 'pair_rate_limit_per_minute = 100000'))
        await page.getByRole('button', { name: 'Save' }).click()
        const alert = page.getByRole('alert')
        await alert.filter({ hasText: 'gateway.pair_rate_limit_per_minute' }).waitFor()
        assert.match(await alert.innerText(), new RegExp(`^Line ${line}: .*Nothing was written`, 's'))
        assert.equal((await page.locator('.gutter .bad').innerText()).trim(), String(line))
        const now = (await (await fetch(`${gw.url}/api/config`, { headers: await asChecker() })).json()) as { content: string }
        assert.equal(now.content, before, 'config.toml is unchanged')
      },
      { extraHTTPHeaders: { 'x-forwarded-for': '203.0.113.7' } },
    )
  })

  it('draws the cost chart over time, by model and by source', async () => {
    await withPage(browser, 'cost', async (page) => {
      await pairedAt(page, 'Chat')
      await sendChat(page, 'a turn that costs something')
      await page.locator('li[data-kind="assistant"]:not([data-streaming])').waitFor()
      await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Cost', exact: true }).click()
      const line = page.locator('svg[data-chart="line"]')
      await line.locator('path[data-series="offline-echo"]').waitFor()
      assert.ok(await line.getAttribute('aria-label'))
      const bars = page.locator('svg[data-chart="bar"]')
      assert.equal(await bars.count(), 2, 'by model and by source')
      await bars.first().locator('rect').first().waitFor()
      await page.getByLabel('Split by').selectOption('source')
      await line.locator('path[data-series]').first().waitFor()
    })
  })

  it('shows live events, filtered by type, and tails the gateway log', async () => {
    await withPage(browser, 'events', async (page) => {
      await pairedAt(page, 'Live events')
      await page.getByRole('status').filter({ hasText: 'open' }).waitFor()
      // an operator event from this machine (POST /api/channel-events is loopback only)
      const r = await fetch(`${gw.url}/api/channel-events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'agent.message', content: 'marker-from-the-test' }),
      })
      assert.equal(r.status, 200)
      const list = page.locator('ol.events > li')
      await list.filter({ hasText: 'marker-from-the-test' }).waitFor()
      await page.getByLabel('Type').selectOption('channel_event')
      assert.ok((await list.count()) >= 1)
      for (const t of await list.locator('.ev-type').allInnerTexts()) assert.equal(t, 'channel_event')
      await page.getByLabel('Contains').fill('no-such-text-anywhere')
      assert.equal(await list.count(), 0)

      await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Logs', exact: true }).click()
      await page.waitForFunction('(document.querySelector("pre.log")?.textContent ?? "").length > 0')
    })
  })

  it('shows each domain group as a list, or as not available when its routes answer 404', async () => {
    // the groups' first routes, as the console asks them; which answer depends on the plugins present
    const groups: [string, string][] = [
      ['Agents', '/api/agents?per_page=50'],
      ['Skills', '/api/skills?per_page=50'],
      ['Teams', '/api/teams?per_page=50'],
      ['Workflows', '/api/workflows'],
      ['Cron', '/api/cron'],
      ['Audit log', '/api/audit?limit=200'],
      ['Doctor', '/api/doctor'],
    ]
    await withPage(browser, 'domain', async (page) => {
      await pairInBrowser(page, gw.url, await gw.newCode())
      for (const [label, path] of groups) {
        const status = (await fetch(gw.url + path, { headers: await asChecker() })).status
        await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: label, exact: true }).click()
        await page.getByRole('heading', { name: label, level: 1 }).waitFor()
        const main = page.locator('main').first()
        if (status === 404) {
          await main.getByRole('status').filter({ hasText: 'not available on this gateway' }).first().waitFor()
        } else {
          assert.equal(status, 200, `${path} answers`)
          await main.locator('table.grid').or(main.getByText('Nothing here yet.')).first().waitFor()
        }
        assert.equal(await main.getByRole('alert').count(), 0, `${label}: no error shown`)
      }
    })
  })
})
