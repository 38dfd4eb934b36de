/**
 * Which dashboard build the gateway serves (contract §1.17): `REVKA_WEB_ROOT`, else
 * `[gateway] web_root`, else the built-in console (plugins/dashboard/console/dist). A configured
 * root that is missing or has no index.html is the operator's mistake to fix: it is reported (log
 * at start, the plugin's health, a 503 hint on every page) and never replaced by the console, so
 * the operator does not mistake one dashboard for the other. A built-in console that was never
 * built gets a page saying so.
 */
import { statSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'

export type WebRootKind = 'env' | 'config' | 'console'

export interface WebRoot {
  kind: WebRootKind
  /** absolute folder holding index.html and the assets */
  dir: string
  /** how the operator set it, for messages */
  origin: string
}

export interface WebRootInputs {
  env?: string
  config?: unknown
  /** a relative web_root is taken from config.toml's folder (`api.gateway.configPath`) */
  configPath(path: string): string
  /** the built-in console's build */
  consoleDir: string
}

export function chooseWebRoot(i: WebRootInputs): WebRoot {
  if (i.env !== undefined && i.env.trim()) {
    // a shell variable: relative to where the gateway was started
    return { kind: 'env', dir: resolve(i.env.trim()), origin: 'REVKA_WEB_ROOT' }
  }
  if (typeof i.config === 'string' && i.config.trim()) {
    const v = i.config.trim()
    return { kind: 'config', dir: isAbsolute(v) ? v : i.configPath(v), origin: '[gateway] web_root' }
  }
  return { kind: 'console', dir: i.consoleDir, origin: 'the built-in console' }
}

/**
 * A root that is, holds or lies inside the gateway's state dir is refused: `/_app/*` is public,
 * and a `web_root = "."` (config.toml's folder) or `/` would hand out the service token and the
 * databases. `overlap` is `api.gateway.stateOverlap` (symlinks resolved; null when apart or when
 * the root does not exist yet). Undefined when they are apart.
 */
export function stateOverlapProblem(root: WebRoot, overlap: (dir: string) => 'inside' | 'holds' | null): string | undefined {
  const o = overlap(root.dir)
  if (o)
    return `${root.dir} (${root.origin}) overlaps the gateway's state dir (${o === 'inside' ? 'it lies inside that folder' : 'it holds that folder'}), whose files must never be served`
  return undefined
}

/** Why the web root cannot be served now, or undefined when its index.html is there. */
export function webRootProblem(root: WebRoot): string | undefined {
  let st
  try {
    st = statSync(root.dir)
  } catch {
    return `${root.dir} (${root.origin}) does not exist`
  }
  if (!st.isDirectory()) return `${root.dir} (${root.origin}) is not a folder`
  try {
    if (!statSync(join(root.dir, 'index.html')).isFile()) return `${root.dir}/index.html (${root.origin}) is not a file`
  } catch {
    return `${root.dir} (${root.origin}) has no index.html`
  }
  return undefined
}

/** The plain-text hint a configured but broken web root answers with (503). */
export function webRootHint(root: WebRoot, problem: string): string {
  return [
    `Dashboard unavailable: ${problem}.`,
    '',
    `Point ${root.kind === 'env' ? 'REVKA_WEB_ROOT' : '[gateway] web_root in config.toml'} at a dashboard build`,
    '(the folder holding index.html; its assets are served under /_app/), or remove it to use the',
    'built-in console. The API is not affected.',
    '',
  ].join('\n')
}
