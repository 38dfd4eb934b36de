import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { openSync, closeSync, ftruncateSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDomainKernel, type DomainKernel } from '../assets/test-support/domain.js'

let d: DomainKernel
let fileLoc = ''
const SECRET = 'TOP-SECRET-STATE-FILE'
before(async () => {
  d = await startDomainKernel(['artifact-body'])
  const { item, revision } = await d.store.createItem({
    space_path: '/Proj/Assets',
    item_name: 'report',
    kind: 'doc',
    revision: { artifacts: [{ name: 'report.md', file: { content: '# Report\n' + 'x'.repeat(200_000) } }] },
  })
  assert.ok(item && revision)
  fileLoc = (await d.store.listArtifacts(revision!.kref))[0].location
  writeFileSync(join(d.k.stateDir, 'secret.txt'), SECRET)
})
after(async () => {
  await d.k.stop()
})

const body = (location: string) => d.call('GET', `/api/artifact-body?location=${encodeURIComponent(location)}`)

test('streams an artifact file with its type, length, disposition and a sandboxing CSP', async () => {
  const res = await body(fileLoc)
  assert.equal(res.status, 200)
  assert.equal(res.text.length, 9 + 200_000)
  assert.ok(res.text.startsWith('# Report'))
  assert.equal(res.headers.get('content-type'), 'text/markdown; charset=utf-8')
  assert.equal(res.headers.get('content-length'), String(9 + 200_000))
  assert.equal(res.headers.get('cache-control'), 'private, max-age=60')
  assert.match(res.headers.get('content-disposition')!, /^inline; filename="report\.md"/)
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
  assert.equal(res.headers.get('content-security-policy'), 'sandbox')
  const viaUri = await body(`file://${fileLoc.split('/').map(encodeURIComponent).join('/')}`)
  assert.equal(viaUri.status, 200, 'a file:// URI (percent-encoded) names the same file')
  assert.equal(viaUri.text, res.text)
})

test('attack: traversal, encoded traversal, absolute paths and ~ outside the artifact dir are 403 and leak nothing', async () => {
  const root = d.store.artifactRoot
  for (const loc of [
    `${root}/../domain.db`,
    `${root}/Proj/../../../secret.txt`,
    join(d.k.stateDir, 'secret.txt'),
    '/etc/passwd',
    `file://${root}/%2e%2e/%2e%2e/%2e%2e/secret.txt`,
    `file://${root}/..%2f..%2f..%2fsecret.txt`,
    'file:///etc/passwd',
    '~/.bashrc',
    '/proc/self/environ',
  ]) {
    const res = await body(loc)
    assert.ok(res.status === 403 || res.status === 400 || res.status === 404, `${loc} → ${res.status}`)
    assert.ok(!res.text.includes(SECRET) && !res.text.includes('root:'), loc)
    if (!loc.includes('..%2f')) assert.equal(res.status, 403, loc)
  }
  const relative = await body('secret.txt')
  assert.equal(relative.status, 400)
  assert.equal(relative.body.code, 'location_invalid')
  assert.equal((await d.call('GET', '/api/artifact-body')).body.code, 'location_required')
})

test('attack: a symlink inside the artifact dir that points out (file or folder) is 403', async () => {
  const root = d.store.artifactRoot
  symlinkSync(join(d.k.stateDir, 'secret.txt'), join(root, 'link-out.txt'))
  symlinkSync(d.k.stateDir, join(root, 'dir-out'))
  symlinkSync('/etc/passwd', join(root, 'passwd'))
  for (const loc of [join(root, 'link-out.txt'), join(root, 'dir-out', 'secret.txt'), join(root, 'passwd')]) {
    const res = await body(loc)
    assert.equal(res.status, 403, loc)
    assert.equal(res.body.code, 'location_forbidden')
    assert.ok(!res.text.includes(SECRET) && !res.text.includes('root:'))
  }
  // a symlink that stays inside is followed
  symlinkSync(fileLoc, join(root, 'alias.md'))
  assert.equal((await body(join(root, 'alias.md'))).status, 200)
})

test('a folder or a FIFO is 400 (and a FIFO never hangs the request)', async () => {
  const root = d.store.artifactRoot
  assert.equal((await body(root)).body.code, 'not_a_file')
  execFileSync('mkfifo', [join(root, 'pipe.txt')])
  const res = await body(join(root, 'pipe.txt'))
  assert.equal(res.status, 400)
  assert.equal(res.body.code, 'not_a_file')
})

test('a file over 256 MiB is 413 with its size; missing files are 404 with detail and path', async () => {
  const big = join(d.store.artifactRoot, 'big.bin')
  const fd = openSync(big, 'w')
  ftruncateSync(fd, 256 * 1024 * 1024 + 1) // sparse: no disk used
  closeSync(fd)
  const res = await body(big)
  assert.equal(res.status, 413)
  assert.equal(res.body.code, 'artifact_too_large')
  assert.equal(res.body.size, 256 * 1024 * 1024 + 1)
  const missing = await body(join(d.store.artifactRoot, 'nope.md'))
  assert.equal(missing.status, 404)
  assert.match(missing.body.error, /^artifact not found on disk: /)
  assert.equal(missing.body.path, join(d.store.artifactRoot, 'nope.md'))
  assert.equal(typeof missing.body.detail, 'string')
})

test('a missing file whose artifact stored its body in metadata is served from there (never workflow YAML)', async () => {
  const gone = join(d.store.artifactRoot, 'gone', 'notes.md')
  await d.store.createItem({
    space_path: '/Proj/Assets',
    item_name: 'notes',
    kind: 'doc',
    revision: { artifacts: [{ name: 'notes.md', location: gone, metadata: { content: 'stored notes' } }] },
  })
  const res = await body(gone)
  assert.equal(res.status, 200)
  assert.equal(res.text, 'stored notes')
  assert.equal(res.headers.get('x-revka-artifact-source'), 'revision-metadata')
  const wf = join(d.store.artifactRoot, 'gone', 'flow.yaml')
  await d.store.createItem({
    space_path: '/Proj/Assets',
    item_name: 'flow',
    kind: 'workflow',
    revision: { metadata: { definition: 'steps: []' }, artifacts: [{ name: 'workflow.yaml', location: wf }] },
  })
  assert.equal((await body(wf)).status, 404)
})

test('a wrong credential is 401', async () => {
  const res = await fetch(`${d.k.url}/api/artifact-body?location=${encodeURIComponent(fileLoc)}`, { headers: { authorization: 'Bearer wrong' } })
  assert.equal(res.status, 401)
})
