/**
 * The kernel's pino logger. Writes to stdout and to `<state>/logs/gateway.log` (the daemon-log SSE
 * tails it), which is rotated by size (rotating-file.ts). Tokens in URLs are redacted from every line.
 */
import pino, { type Logger as Pino } from 'pino'
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import { RotatingFile, type RotationOptions } from './rotating-file.js'

/** the log file behind each logger, so the kernel can apply config.toml's limits once it is read */
const files = new WeakMap<Pino, RotatingFile>()

/** `[gateway] log_max_bytes` / `log_keep`, applied to a running logger */
export function configureLogRotation(log: Pino, rotation: RotationOptions): void {
  files.get(log)?.configure(rotation)
}

/** write out what is buffered (at shutdown): pino's own `flush()` does nothing for a multistream */
export function flushLog(log: Pino): void {
  files.get(log)?.flushSync()
}

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
  /** size rotation of gateway.log (default 10 MiB, 5 kept) */
  rotation?: RotationOptions
}

export function createLogger(opts: LoggerOptions = {}): Pino {
  const level = opts.level ?? process.env.REVKA_LOG_LEVEL ?? 'info'
  const streams: pino.StreamEntry[] = []
  if (opts.stdout !== false) streams.push({ level: level as pino.Level, stream: pino.destination({ dest: 1, sync: false }) })
  let file: RotatingFile | undefined
  if (opts.logsDir) {
    mkdirSync(opts.logsDir, { recursive: true, mode: 0o700 })
    file = new RotatingFile(join(opts.logsDir, 'gateway.log'), opts.rotation)
    streams.push({ level: level as pino.Level, stream: file })
  }
  const log = pino(
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
  if (file) files.set(log, file)
  return log
}
