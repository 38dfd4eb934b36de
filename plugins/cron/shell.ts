/**
 * Shell jobs, only when `shell_jobs` is on: the job's argv runs with `spawn` and no shell (so no
 * quoting, globbing or `;` from a request ever reaches one), stdin closed, in the workspace, with
 * a timeout, an environment built from an allow-list, and stdout+stderr capped at 64 KiB in all
 * (the rest is read and dropped, so a chatty process cannot block on a full pipe).
 */
import { spawn } from 'node:child_process'

export const SHELL_OUTPUT_CAP = 64 * 1024

export interface ShellOptions {
  cwd: string
  timeoutMs: number
  envAllow: string[]
  env: (name: string) => string | undefined
  signal: AbortSignal
}

export interface ShellResult {
  ok: boolean
  output: string
  truncated: boolean
}

export function runShell(argv: string[], o: ShellOptions): Promise<ShellResult> {
  const env: Record<string, string> = {}
  for (const k of o.envAllow) {
    const v = o.env(k)
    if (v !== undefined) env[k] = v
  }
  return new Promise((resolve) => {
    let budget = SHELL_OUTPUT_CAP
    let truncated = false
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] }
    const take = (which: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (budget <= 0) {
        truncated = true
        return
      }
      const piece = chunk.length > budget ? chunk.subarray(0, budget) : chunk
      if (piece.length < chunk.length) truncated = true
      budget -= piece.length
      out[which].push(piece)
    }
    let child
    try {
      child = spawn(argv[0], argv.slice(1), {
        cwd: o.cwd,
        env,
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: o.timeoutMs,
        killSignal: 'SIGKILL',
        signal: o.signal,
      })
    } catch (e) {
      resolve({ ok: false, output: `status=spawn_error\nstderr:\n${(e as Error).message}`, truncated: false })
      return
    }
    child.stdout.on('data', take('stdout'))
    child.stderr.on('data', take('stderr'))
    let spawnError: Error | undefined
    child.on('error', (e) => {
      spawnError = e
    })
    child.on('close', (code, signal) => {
      const status =
        spawnError && code === null && !signal
          ? `spawn_error (${spawnError.message})`
          : code !== null
            ? String(code)
            : `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${o.timeoutMs} ms or shutdown)` : ''}`
      const output = `status=${status}\nstdout:\n${Buffer.concat(out.stdout).toString('utf8')}\nstderr:\n${Buffer.concat(out.stderr).toString('utf8')}${truncated ? `\n...[output capped at ${SHELL_OUTPUT_CAP} bytes]` : ''}`
      resolve({ ok: code === 0, output, truncated })
    })
  })
}
