/**
 * `shell` steps, only when the operator set `shell_steps: true` (otherwise validation refuses
 * them). As cron's shell jobs: no shell ever — a string command is split into words first and each
 * word interpolated afterwards, so an input value can never add `;`, `$(…)` or a redirection;
 * a list is taken as argv. stdin closed, the run's cwd (else the workspace), an environment
 * built only from the allow-list, output capped (the rest is drained and dropped), its whole
 * process group killed with SIGKILL when the step's signal fires (timeout, cancel, shutdown).
 */
import { spawn } from 'node:child_process'
import { render } from '../interpolate.js'
import type { LeafExecutor } from '../step-runner.js'

export interface ShellSettings {
  envAllow: string[]
  outputCap: number
  env: (name: string) => string | undefined
  defaultCwd: string
}

/** POSIX-ish word splitting of a command line: quotes group, backslash escapes; nothing expands */
export function splitWords(line: string): string[] {
  const words: string[] = []
  let cur = '',
    quote: '"' | "'" | null = null,
    has = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (quote) {
      if (ch === quote) quote = null
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i]
      else cur += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      has = true
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i]
      has = true
    } else if (/\s/.test(ch)) {
      if (has || cur) words.push(cur)
      cur = ''
      has = false
    } else cur += ch
  }
  if (has || cur) words.push(cur)
  return words
}

class CappedSink {
  private readonly parts: Buffer[] = []
  private room: number
  dropped = 0
  constructor(cap: number) {
    this.room = cap
  }
  push = (chunk: Buffer): void => {
    const keep = Math.min(this.room, chunk.length)
    if (keep > 0) {
      this.parts.push(chunk.subarray(0, keep))
      this.room -= keep
    }
    this.dropped += chunk.length - keep
  }
  text(): string {
    return Buffer.concat(this.parts).toString('utf8')
  }
}

export function shellExecutor(s: ShellSettings): LeafExecutor {
  return async ({ step, scope, signal, cwd }) => {
    const cmd = step.config.command
    const argv = (Array.isArray(cmd) ? cmd : splitWords(String(cmd))).map((w: string) => render(w, scope))
    const env = Object.fromEntries(
      s.envAllow.flatMap((k) => {
        const v = s.env(k)
        return v === undefined ? [] : [[k, v]]
      }),
    )
    // one budget for both streams: interleaved chatter cannot double the cap
    const sink = new CappedSink(s.outputCap)
    const errSink = { push: (c: Buffer) => sink.push(c) }
    const { code, sig, spawnError } = await new Promise<{ code: number | null; sig: string | null; spawnError?: string }>((resolve) => {
      let child
      try {
        // its own process group, so a timeout or cancel kills what it started too (`sh -c "sleep 99 &"`)
        child = spawn(argv[0], argv.slice(1), { cwd: cwd || s.defaultCwd, env, shell: false, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      } catch (e) {
        resolve({ code: null, sig: null, spawnError: (e as Error).message })
        return
      }
      const pid = child.pid
      const killGroup = () => {
        if (pid) {
          try {
            process.kill(-pid, 'SIGKILL')
          } catch {
            /* already gone */
          }
        }
      }
      if (signal.aborted) killGroup()
      signal.addEventListener('abort', killGroup, { once: true })
      let failure: string | undefined
      child.on('error', (e) => {
        failure = e.message
      })
      child.stdout.on('data', sink.push)
      child.stderr.on('data', errSink.push)
      child.on('close', (c, g) => {
        signal.removeEventListener('abort', killGroup)
        resolve({ code: c, sig: g, spawnError: failure })
      })
    })
    const output = sink.text() + (sink.dropped ? `\n...[${sink.dropped} more bytes dropped: output capped at ${s.outputCap} bytes]` : '')
    const output_data = { exit_code: code, signal: sig, argv0: argv[0] }
    if (spawnError) throw new Error(`could not run ${argv[0]}: ${spawnError}`)
    if (code === 0 || step.config.allow_failure === true) return { output, output_data }
    throw Object.assign(new Error(`${argv[0]} exited with ${code ?? `signal ${sig}`}${output ? `: ${output.slice(-500)}` : ''}`), { output })
  }
}
