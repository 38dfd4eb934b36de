/**
 * A plugin's private folder, `<state>/plugins/<id>/` (0700, outside the served workspace): what
 * `api.store` is. Plugins keep their state there in the form it needs — SQLite for what is
 * queried, append-only JSONL for journals and logs, an atomic JSON file (`writeFileAtomicSync`)
 * for a small document. There is no document store on top (lowdb was dropped: kernel/README.md).
 */
import { mkdirSync } from 'node:fs'
import type { PluginStore } from '@revka/plugin-sdk'

export function pluginStore(dir: string): PluginStore {
  // private: plugins keep chats, journals and secrets here, and nothing here is ever served
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  return Object.freeze({ dir })
}
