/**
 * The `gateway-config` kernel service: masked reads and validated, atomic replacement of config.toml.
 */
import { stringify } from 'smol-toml'
import { httpError } from '@revka/plugin-sdk'
import type { ConfigReplaceResult, GatewayConfigService } from '@revka/plugin-sdk'
import { ConfigError, parseToml, settingsFrom, type TomlDoc } from './gateway-config.js'
import { maskDoc, restoreMasked } from './mask.js'
import { writeFileAtomicSync } from './fs-atomic.js'

export class GatewayConfigStore implements GatewayConfigService {
  private writing: Promise<unknown> = Promise.resolve()

  constructor(
    readonly path: string,
    private doc: TomlDoc,
  ) {}

  /** the document in force (restart-only keys apply on next start) */
  current(): TomlDoc {
    return this.doc
  }

  /** a copy of a top-level table (or value, e.g. `default_provider`) of the document in force */
  section(name: string): any {
    const v = this.doc[name]
    return v === undefined ? undefined : structuredClone(v)
  }

  masked(): string {
    return stringify(maskDoc(this.doc))
  }

  async replace(toml: string): Promise<ConfigReplaceResult> {
    // serialise writers so two PUTs never interleave their read-restore-write
    const run = this.writing.then(() => this.replaceNow(toml))
    this.writing = run.catch(() => {})
    return run
  }

  private replaceNow(toml: string): ConfigReplaceResult {
    let next: TomlDoc
    try {
      next = parseToml(toml)
    } catch (e) {
      const ce = e as ConfigError
      throw httpError(400, 'invalid_toml', ce.message, { extra: ce.line ? { line: ce.line } : {} })
    }
    const missing = restoreMasked(next, this.doc)
    if (missing.length) throw httpError(400, 'invalid_config', `Masked value has nothing to restore: ${missing.join(', ')}`)
    let before: string, after: string
    try {
      before = JSON.stringify(settingsFrom(this.doc, {}))
      after = JSON.stringify(settingsFrom(next, {}))
    } catch (e) {
      throw httpError(400, 'invalid_config', `Invalid config: ${(e as Error).message}`)
    }
    writeFileAtomicSync(this.path, stringify(next), 0o600)
    this.doc = next
    return { content: this.masked(), restartRequired: before !== after }
  }
}
