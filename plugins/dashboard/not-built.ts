/**
 * The page `GET /` shows when no web root is configured and the built-in console was never built
 * (a checkout where `npm install` did not run its build): it says so and how to fix it, instead of
 * a blank page or a 404. Self-contained: no assets, no script.
 */
import { urlPrefix } from './index-page.js'

export function notBuiltPage(prefix: string, consoleDir: string): Buffer {
  const base = urlPrefix(prefix)
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  return Buffer.from(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Revka gateway — console not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem}code{font-size:.95em}</style>
</head>
<body>
<main>
<h1>Revka gateway</h1>
<p>The gateway is running, but its operator console has not been built: <code>${esc(consoleDir)}</code> has no <code>index.html</code>.</p>
<ul>
<li>Build it: run <code>npm run build</code> (or <code>npm install</code>) in the gateway's folder, then reload this page.</li>
<li>Or serve another dashboard build: set <code>web_root</code> under <code>[gateway]</code> in config.toml, or the <code>REVKA_WEB_ROOT</code> environment variable, and restart.</li>
</ul>
<p>The API works without it: <a href="${base}/health">${base}/health</a>.</p>
</main>
</body>
</html>
`)
}
