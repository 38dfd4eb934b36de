/** Boot the skins plugin on a real port; helpers to import over the wire and to fingerprint the disk. */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { startTestKernel, type TestKernel } from '@revka/plugin-testing'

export async function bootSkins(options: Record<string, unknown> = {}): Promise<TestKernel> {
  const k = await startTestKernel({ plugins: ['skins', 'pairing'], options: { skins: { imports_per_minute: 600, ...options } }, listen: true })
  return k
}

export async function importZip(k: TestKernel, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`${k.url}/api/skins/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${k.token}`, 'content-type': 'application/zip', ...headers },
    body,
  })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : null }
}

/** Every path under `dir` with its type, size and content hash: equal snapshots mean nothing changed. */
export function snapshot(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    if (!existsSync(d)) return
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      const st = lstatSync(p)
      if (st.isDirectory()) {
        out.push(`${relative(dir, p)}/`)
        walk(p)
      } else out.push(`${relative(dir, p)} ${st.size} ${st.isSymbolicLink() ? 'link' : readFileSync(p).toString('base64').slice(0, 64)}`)
    }
  }
  walk(dir)
  return out
}
