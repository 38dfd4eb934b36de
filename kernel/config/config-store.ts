/**
 * The `gateway-config` kernel service: masked reads and checked, atomic replacement of config.toml.
 *
 * Two documents: the one on disk (what GET shows and PUT replaces) and the one plugins read through
 * `section()`. Sections that plugins read per request and that are safe to switch live
 * (LIVE_SECTIONS) follow the file at once; every other section stays as it was at start until
 * the restart, so a secret set through config (a node token, a provider key) never becomes live
 * under a running gateway, and "takes effect on restart" is true by construction.
 */
import { stringify } from 'smol-toml'
import { httpError, RevkaError } from '@revka/plugin-sdk'
import type { ConfigReplaceOptions, ConfigReplaceResult, GatewayConfigService } from '@revka/plugin-sdk'
import { ConfigError, parseToml, type TomlDoc } from './gateway-config.js'
import { maskDoc, restoreMasked } from './mask.js'
import { writeFileAtomicSync } from './fs-atomic.js'
import { changedKeys, isProtected, LIVE_SECTIONS, needsRestart } from './config-keys.js'
import { assertStartable, type StartOverrides } from './validate-gateway.js'

/** at most this many keys are named in a refusal (the rest are counted) */
const NAMED_KEYS = 8

export class GatewayConfigStore implements GatewayConfigService {
  private writing: Promise<unknown> = Promise.resolve()
  /** what plugins see through section(): the start's document plus live sections */
  private applied: TomlDoc

  constructor(
    readonly path: string,
    private doc: TomlDoc,
    private readonly overrides: StartOverrides = { env: process.env },
  ) {
    this.applied = doc
  }

  /** the document on disk (restart-only keys apply on next start) */
  current(): TomlDoc {
    return this.doc
  }

  /** a copy of a top-level table (or value, e.g. `default_provider`) as plugins may use it now */
  section(name: string): any {
    const v = this.applied[name]
    return v === undefined ? undefined : structuredClone(v)
  }

  masked(): string {
    return stringify(maskDoc(this.doc))
  }

  async replace(toml: string, options: ConfigReplaceOptions = {}): Promise<ConfigReplaceResult> {
    // serialise writers so two PUTs never interleave their read-restore-write
    const run = this.writing.then(() => this.replaceNow(toml, options.mayChangeProtected === true))
    this.writing = run.catch(() => {})
    return run
  }

  private replaceNow(toml: string, mayChangeProtected: boolean): ConfigReplaceResult {
    let next: TomlDoc
    try {
      next = parseToml(toml)
    } catch (e) {
      const ce = e as ConfigError
      throw httpError(400, 'invalid_toml', ce.message, { extra: ce.line ? { line: ce.line } : {} })
    }
    const missing = restoreMasked(next, this.doc)
    if (missing.length)
      throw httpError(
        400,
        'invalid_config',
        `Masked value has nothing to restore: ${missing.join(', ')} (send a masked value back exactly as GET /api/config showed it, or the new value in full)`,
      )

    const changed = changedKeys(this.doc, next)
    const guarded = changed.filter((c) => isProtected(c.path)).map((c) => c.key)
    if (guarded.length && !mayChangeProtected) {
      const named = guarded.slice(0, NAMED_KEYS).join(', ') + (guarded.length > NAMED_KEYS ? ` and ${guarded.length - NAMED_KEYS} more` : '')
      throw httpError(
        403,
        'config_key_protected',
        `Security-bearing config keys may be changed only from loopback or with the service token: ${named}. Nothing was written.`,
        { extra: { keys: guarded } },
      )
    }
    try {
      assertStartable(next, this.path, this.overrides)
    } catch (e) {
      if (e instanceof ConfigError) throw httpError(400, 'invalid_config', `Invalid config: ${e.message}`)
      // the message the next start would fail with, word for word
      if (e instanceof RevkaError) throw httpError(400, 'unsafe_config', e.message)
      throw e
    }

    if (changed.length) writeFileAtomicSync(this.path, stringify(next), 0o600)
    this.doc = next
    this.applied = { ...this.applied }
    for (const name of new Set([...Object.keys(this.applied), ...Object.keys(next)])) {
      if (!LIVE_SECTIONS.has(name)) continue
      if (next[name] === undefined) delete this.applied[name]
      else this.applied[name] = next[name]
    }
    const restartKeys = changed.filter((c) => needsRestart(c.path)).map((c) => c.key)
    return { content: this.masked(), restartRequired: restartKeys.length > 0, changedKeys: changed.map((c) => c.key), restartKeys }
  }
}
