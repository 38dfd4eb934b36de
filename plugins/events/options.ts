/**
 * The events plugin's options (see configSchema in revka.plugin.json). The kernel validates and
 * fills defaults before setup; the fallbacks here only keep the plugin sane if it is ever handed a
 * bare object. Intervals are options so tests can run with millisecond timings.
 */
import { isAbsolute, join, normalize, relative, sep } from 'node:path'
import { DEFAULT_STREAMS_PER_CREDENTIAL, RevkaError } from '@revka/plugin-sdk'

export interface EventsOptions {
  keepAliveMs: number
  flushIntervalMs: number
  maxBufferedBytes: number
  dropGraceMs: number
  maxStreams: number
  maxStreamsPerCredential: number
  logPollMs: number
  logInitialBytes: number
  file: string
}

const DEFAULTS: EventsOptions = {
  keepAliveMs: 15_000,
  flushIntervalMs: 10,
  maxBufferedBytes: 1024 * 1024,
  dropGraceMs: 5_000,
  maxStreams: 4096,
  maxStreamsPerCredential: DEFAULT_STREAMS_PER_CREDENTIAL,
  logPollMs: 500,
  logInitialBytes: 64 * 1024,
  file: 'gateway.log',
}

export function resolveOptions(config: Readonly<Partial<EventsOptions>>): EventsOptions {
  return { ...DEFAULTS, ...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) }
}

/**
 * The daemon log's absolute path: `file` inside the gateway's logs folder (`api.gateway.logsDir`).
 * The option comes from the operator's file, but the stream it feeds is readable by any paired
 * device, so it must not be able to point anywhere else (an absolute path or a `..` would expose
 * arbitrary files, the service token among them). A leading `logs/` is the older form, relative
 * to the state dir, and names the same file.
 */
export function resolveLogPath(logsDir: string, file: string): string {
  const bad = () =>
    new RevkaError(
      'REVKA_ERR_PLUGIN_CONFIG',
      `events: option "file" (${JSON.stringify(file)}) must be a path inside the gateway's logs folder, relative, without ".." (fix plugins.events.options.file in revka.plugins.json)`,
    )
  if (!file || isAbsolute(file) || /^[a-zA-Z]:/.test(file) || file.includes('\0')) throw bad()
  if (file.split(/[\\/]+/).includes('..')) throw bad()
  const full = join(logsDir, normalize(file.replace(/^logs[\\/]+/, '')))
  const rel = relative(logsDir, full)
  if (!rel || rel.startsWith('..' + sep) || rel === '..' || isAbsolute(rel)) throw bad()
  return full
}
