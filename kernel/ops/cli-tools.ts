/**
 * CLI tools on PATH (contract DOMAIN.md §17): each name is looked up in PATH's folders (no shell,
 * no `which`), then asked `--version` with execFile and a per-probe timeout, all in parallel. The
 * result is kept for the life of the process: tools do not come and go under a running gateway,
 * and a dashboard polling the page must not spawn sixteen processes per request.
 */
import { execFile } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import type { CliTool, CliToolCategory } from '@revka/plugin-sdk'

export const CLI_TOOLS: ReadonlyArray<[string, CliToolCategory]> = [
  ['git', 'VersionControl'],
  ['python', 'Language'],
  ['python3', 'Language'],
  ['node', 'Language'],
  ['npm', 'PackageManager'],
  ['pip', 'PackageManager'],
  ['pip3', 'PackageManager'],
  ['docker', 'Container'],
  ['cargo', 'PackageManager'],
  ['make', 'Build'],
  ['kubectl', 'Cloud'],
  ['rustc', 'Language'],
  ['claude', 'AiAgent'],
  ['gemini', 'AiAgent'],
  ['kilo', 'AiAgent'],
  ['gws', 'Productivity'],
]

export const PROBE_TIMEOUT_MS = 3000
/** tools that do not answer `--version` */
const VERSION_ARGS: Record<string, string[]> = { kubectl: ['version', '--client'] }

/** The first executable regular file named `name` in PATH's folders, or null. */
export function findOnPath(name: string, pathVar: string | undefined): string | null {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue // a relative PATH entry would depend on the gateway's cwd
    const candidate = join(dir, name)
    try {
      if (!statSync(candidate).isFile()) continue
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return null
}

/** `<path> --version` (or the tool's own args), first non-empty line of stdout (or stderr: python 2 prints there). */
export function probeVersion(path: string, timeoutMs = PROBE_TIMEOUT_MS, env: NodeJS.ProcessEnv = process.env, args = ['--version']): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      path,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024, windowsHide: true, env, stdio: ['ignore', 'pipe', 'pipe'] } as any,
      (err, stdout, stderr) => {
        // a tool that failed says nothing useful about its version (an error message, a usage text)
        if (err) return resolve(null)
        const text = `${stdout ?? ''}\n${stderr ?? ''}`
          .split('\n')
          .map((l) => l.trim())
          .find(Boolean)
        resolve(text ? text.slice(0, 200) : null)
      },
    )
  })
}

export class CliToolProbe {
  private cached: Promise<CliTool[]> | null = null

  // probes get PATH, HOME and the locale only: never the gateway's secrets (API keys in env)
  private readonly probeEnv: NodeJS.ProcessEnv

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly timeoutMs = PROBE_TIMEOUT_MS,
    private readonly tools = CLI_TOOLS,
  ) {
    this.probeEnv = Object.fromEntries(['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'PYENV_ROOT'].filter((k) => env[k] !== undefined).map((k) => [k, env[k]]))
  }

  /** Probed on the first call; every later call gets the same answer. */
  list(): Promise<CliTool[]> {
    this.cached ??= Promise.all(
      this.tools.map(async ([name, category]) => {
        const path = findOnPath(name, this.env.PATH)
        if (!path) return null
        return { name, path, version: await probeVersion(path, this.timeoutMs, this.probeEnv, VERSION_ARGS[name]), category } satisfies CliTool
      }),
    ).then((all) => all.filter((t): t is CliTool => t !== null))
    return this.cached
  }
}
