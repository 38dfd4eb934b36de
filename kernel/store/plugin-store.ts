/**
 * A plugin's private folder, `<state>/plugins/<id>/` (0700, outside the served workspace: `dir`),
 * and its own JSON document there, `store.json`, on lowdb with an adapter
 * that fsyncs and renames (lowdb's own adapter does not fsync, and an acknowledged write must
 * survive a crash). One Low instance per file; writes are serialised.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Low } from 'lowdb'
import type { PluginStore } from '@revka/plugin-sdk'
import { writeFileAtomicSync } from '../config/fs-atomic.js'

class DurableJsonFile<T> {
  constructor(private readonly path: string) {}
  async read(): Promise<T | null> {
    if (!existsSync(this.path)) return null
    return JSON.parse(readFileSync(this.path, 'utf8')) as T
  }
  async write(data: T): Promise<void> {
    writeFileAtomicSync(this.path, JSON.stringify(data, null, 2), 0o600)
  }
}

export class LowPluginStore<T extends object> implements PluginStore<T> {
  // lowdb is loaded on the first write: most plugins never write, and start-up pays for imports
  private low?: Low<T>
  private doc: T
  private readonly file: string
  private queue: Promise<unknown> = Promise.resolve()
  readonly dir: string

  constructor(dir: string, initial: T) {
    this.dir = dir
    // private: plugins keep chats, journals and secrets here, and nothing here is ever served
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    this.file = join(dir, 'store.json')
    this.doc = initial
    // the document is small and read once, synchronously, so `data` is usable straight away in setup
    if (existsSync(this.file)) {
      try {
        this.doc = JSON.parse(readFileSync(this.file, 'utf8')) as T
      } catch (e) {
        throw new Error(`REVKA_ERR_STORE_CORRUPT: ${this.file} is not valid JSON (${(e as Error).message}); move it aside to start fresh`)
      }
    }
  }

  get data(): T {
    return this.low ? this.low.data : this.doc
  }

  update(fn: (data: T) => void | T): Promise<void> {
    const run = this.queue.then(async () => {
      if (!this.low) {
        const { Low } = await import('lowdb')
        this.low = new Low<T>(new DurableJsonFile<T>(this.file), this.doc)
        this.low.data = this.doc
      }
      const next = fn(this.low.data)
      if (next !== undefined) this.low.data = next as T
      await this.low.write()
    })
    this.queue = run.catch(() => {})
    return run
  }
}
