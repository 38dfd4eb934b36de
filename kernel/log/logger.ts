/**
 * The kernel's pino logger. Writes to stdout and to `<state>/logs/gateway.log` (the daemon-log SSE
 * tails it). Tokens in URLs are redacted from every line.
 */
import pino, { type Logger as Pino } from 'pino'
import { join } from 'node:path'
import { mkdirSync, openSync } from 'node:fs'

const TOKEN_IN_URL = /([?&](?:token|mcp_token|sig)=)[^&#\s]*/gi

/** `?token=abc` → `?token=[REDACTED]` */
export function redactUrl(url: string): string {
  return url.replace(TOKEN_IN_URL, '$1[REDACTED]')
}

export interface LoggerOptions {
  level?: string
  logsDir?: string
  /** tests pass false to keep output quiet */
  stdout?: boolean
}

export function createLogger(opts: LoggerOptions = {}): Pino {
  const level = opts.level ?? process.env.REVKA_LOG_LEVEL ?? 'info'
  const streams: pino.StreamEntry[] = []
  if (opts.stdout !== false) streams.push({ level: level as pino.Level, stream: pino.destination({ dest: 1, sync: false }) })
  if (opts.logsDir) {
    // open synchronously: sonic-boom's async mkdir+open can still be pending when a short-lived
    // kernel stops and its state dir is removed, which crashed the process at exit ("not ready yet")
    mkdirSync(opts.logsDir, { recursive: true })
    const fd = openSync(join(opts.logsDir, 'gateway.log'), 'a', 0o600)
    streams.push({ level: level as pino.Level, stream: pino.destination({ fd, sync: false }) })
  }
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: ['req.headers.authorization', 'req.headers["x-revka-service-token"]', 'token', 'headers.authorization'], censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // any string argument that carries a URL token is scrubbed too
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) if (typeof args[i] === 'string') args[i] = redactUrl(args[i] as string)
          const first = args[0] as any
          if (first && typeof first === 'object' && typeof first.url === 'string') args[0] = { ...first, url: redactUrl(first.url) }
          return method.apply(this, args as Parameters<typeof method>)
        },
      },
    },
    streams.length ? pino.multistream(streams) : pino.destination({ dest: '/dev/null', sync: false }),
  )
}
