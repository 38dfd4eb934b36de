/**
 * The console under `[gateway] path_prefix`: the printed address carries the prefix, the page's
 * assets and every API call and stream go under it (window.__REVKA_BASE__, injected by the
 * dashboard plugin), and a token the gateway no longer knows sends the browser back to pairing.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser } from 'playwright-core'
import { launch, pairInBrowser, withPage } from './support/browser.js'
import { CONFIG, startGateway, type Gateway } from './support/gateway.js'

let gw: Gateway
let browser: Browser

describe('operator console under path_prefix (browser)', () => {
  before(async () => {
    gw = await startGateway({ config: CONFIG.replace('[gateway]\n', '[gateway]\npath_prefix = "/ops/revka"\n') })
    browser = await launch()
  })
  after(async () => {
    await browser?.close()
    await gw?.stop()
  })

  it('pairs, loads pages and streams under the prefix; a dead token returns to pairing', async () => {
    assert.match(gw.url, /\/ops\/revka$/)
    await withPage(browser, 'prefix', async (page) => {
      const outside: string[] = []
      page.on('request', (r) => {
        const path = new URL(r.url()).pathname
        if (path !== '/ops/revka' && !path.startsWith('/ops/revka/')) outside.push(r.url())
      })
      await pairInBrowser(page, gw.url, gw.code)
      await page.locator('tr[data-plugin="dashboard"]').waitFor()
      await page.getByRole('link', { name: 'Live events', exact: true }).click()
      assert.equal(new URL(page.url()).pathname, '/ops/revka/events')
      await page.getByRole('status').filter({ hasText: 'open' }).waitFor()
      // a reload of a client route is served index.html under the prefix
      await page.reload()
      await page.getByRole('heading', { name: 'Live events' }).waitFor()
      assert.deepEqual(outside, [], 'every request stayed under the prefix')

      // the gateway forgets this token (as after a revocation elsewhere): the next call is a 401
      await page.evaluate(
        `(() => { for (const k of Object.keys(localStorage)) if (k.startsWith('revka.token')) localStorage.setItem(k, JSON.stringify({ token: 'rk_${'0'.repeat(64)}' })) })()`,
      )
      await page.getByRole('link', { name: 'Overview', exact: true }).click()
      await page.getByRole('heading', { name: 'Pair this browser' }).waitFor()
      const left = await page.evaluate(`Object.keys(localStorage).filter((k) => k.startsWith('revka.token')).length`)
      assert.equal(left, 0, 'the dead token was dropped')
    })
  })

  it('can be used by keyboard alone: a wrong code is explained, the right one leads in, focus follows the page', async () => {
    await withPage(browser, 'keyboard', async (page) => {
      await page.goto(gw.url)
      await page.getByRole('heading', { name: 'Pair this browser' }).waitFor()
      // the code field has the focus from the start
      await page.keyboard.type('000000')
      await page.keyboard.press('Enter')
      await page.getByRole('alert').filter({ hasText: 'Codes are single use and expire' }).waitFor()
      // the focus is still in the code field: select what was typed and type over it
      await page.keyboard.press('Control+A')
      await page.keyboard.type(await gw.newCode())
      await page.keyboard.press('Enter')
      await page.getByRole('heading', { name: 'Overview' }).waitFor()
      assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'page-title')
      // the skip link is the first stop, then the page's controls
      await page.keyboard.press('Tab')
      assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content')
      await page.getByRole('link', { name: 'Cost', exact: true }).focus()
      await page.keyboard.press('Enter')
      await page.getByRole('heading', { name: 'Cost', level: 1 }).waitFor()
      assert.equal(await page.evaluate('document.activeElement && document.activeElement.textContent'), 'Cost')
      assert.equal(new URL(page.url()).pathname, '/ops/revka/cost')
    })
  })
})
