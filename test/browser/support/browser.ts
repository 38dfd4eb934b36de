/**
 * Debian's chromium (the one on PATH; playwright never downloads a browser here), headless, and a
 * wrapper that saves a screenshot to .tmp/browser-artifacts/ when a test fails.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core'
import { ensureConsoleBuilt } from './console-build.js'
import { ROOT } from './gateway.js'

export const ARTIFACTS = join(ROOT, '.tmp', 'browser-artifacts')
const ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

export function chromiumPath(): string {
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim()
  } catch {
    throw new Error('chromium is not on PATH: apt-get install -y chromium (.ci/run installs it)')
  }
}

/** the browser, with the console built from its current sources */
export function launch(): Promise<Browser> {
  ensureConsoleBuilt()
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ARGS })
}

/** Run `fn` on a new page of a fresh context; on failure keep a screenshot named after the test. */
export async function withPage(browser: Browser, name: string, fn: (page: Page) => Promise<void>, options: BrowserContextOptions = {}): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, ...options })
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  try {
    await fn(page)
  } catch (e) {
    mkdirSync(ARTIFACTS, { recursive: true })
    const file = join(ARTIFACTS, `${name.replace(/[^a-z0-9]+/gi, '-')}.png`)
    await page.screenshot({ path: file, fullPage: true }).catch(() => {})
    throw Object.assign(e as Error, { message: `${(e as Error).message}\n(screenshot: ${file})` })
  } finally {
    await context.close()
  }
}

/** Pair `page` through the pairing form with `code`; resolves on the overview. */
export async function pairInBrowser(page: Page, url: string, code: string, deviceName = 'Test browser'): Promise<void> {
  await page.goto(url + '/')
  await page.getByRole('heading', { name: 'Pair this browser' }).waitFor()
  await page.getByLabel('Pairing code').fill(code)
  await page.getByLabel('Device name').fill(deviceName)
  await page.getByRole('button', { name: 'Pair', exact: true }).click()
  await page.getByRole('heading', { name: 'Overview' }).waitFor()
}
