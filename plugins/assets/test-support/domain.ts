/**
 * Tests of the route plugins on the domain store: a kernel with the store, the plugins under test
 * and a fixture that hands the test the same service the plugins use (to seed and to prove that a
 * refused request changed nothing).
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DomainStore } from '@revka/plugin-sdk'
import { startTestKernel, type TestKernel, type TestKernelOptions } from '@revka/plugin-testing'

const HANDLE = Symbol.for('revka.test.domain-store')
const fixture = fileURLToPath(new URL('./domain-handle', import.meta.url))

export interface DomainKernel {
  k: TestKernel
  store: DomainStore
  /** GET/POST… over the real socket with the paired token; JSON in and out */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: any; text: string }>
}

export async function startDomainKernel(plugins: string[], opts: TestKernelOptions = {}): Promise<DomainKernel> {
  const k = await startTestKernel({ ...opts, plugins: ['store', 'pairing', ...plugins], paths: [fixture, ...(opts.paths ?? [])], listen: true })
  const store = (globalThis as any)[HANDLE] as DomainStore
  if (!store) throw new Error('domain-handle fixture did not receive the store')
  const call: DomainKernel['call'] = async (method, path, body, headers = {}) => {
    const res = await fetch(`${k.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${k.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed: any
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
    return { status: res.status, headers: res.headers, body: parsed, text }
  }
  return { k, store, call }
}

/** Everything the store holds that a route could change: projects, spaces, items, revisions, artifacts, edges, members. */
export async function storeSnapshot(store: DomainStore): Promise<string> {
  const out: unknown[] = [await store.listProjects()]
  for (const p of await store.listProjects()) {
    const spaces = await store.listSpaces({ parent_path: `/${p.name}`, recursive: true })
    out.push(spaces)
    for (const path of [`/${p.name}`, ...spaces.map((s) => s.path)]) {
      const items = (await store.listItems({ space_path: path, include_deprecated: true, limit: store.limits.maxPageSize })).items
      out.push(items)
      for (const it of items) {
        const revs = await store.listRevisions(it.kref)
        out.push(revs)
        for (const r of revs) out.push(await store.listArtifacts(r.kref), await store.listEdges({ kref: r.kref, direction: 'both' }))
        if (it.kind === 'bundle') out.push(await store.listBundleMembers(it.kref))
      }
    }
  }
  return JSON.stringify(out)
}

/** Every file under a directory (artifact files), sorted. */
export function filesUnder(dir: string): string[] {
  const walk = (d: string): string[] => {
    let names: string[]
    try {
      names = readdirSync(d)
    } catch {
      return []
    }
    return names.flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]))
  }
  return walk(dir).sort()
}
