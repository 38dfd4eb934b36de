/**
 * `revka onboard` interactively, driven through a pseudo-terminal (node-pty): the key prompt masks
 * what is typed, the model prompt offers the provider's live list, the test call's answer is shown,
 * config.toml is written with the chosen model (the key encrypted in the auth-profiles store), and
 * the channel checklist writes revka.plugins.json.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { ROOT, removeDir, tempStateDir } from '../auth/support.js'
import { startRecordingServer } from '../../plugins/agent-runtime/test-helpers.js'
import { transcript } from '../../plugins/agent-runtime/anthropic-fake.js'

const KEY = 'sk-ant-pty-93ad'
// an optional dependency: a platform without its prebuilt binary skips this test, visibly
const pty = await import('node-pty').catch(() => null)

test(
  'interactive onboard: typed key (masked), model picked from the live list with the arrow keys, streamed answer, config written, a channel switched off',
  { skip: pty ? false : 'node-pty is not installed' },
  async () => {
    const dir = tempStateDir()
    const server = await startRecordingServer((res) => {
      const req = (res as any).req
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' })
        return void res.end(JSON.stringify({ data: [{ id: 'claude-sonnet-4-5' }, { id: 'claude-haiku-4-5' }] }))
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end(transcript('anthropic-text.txt').join('\n\n') + '\n\n')
    })
    const term = pty!.spawn(process.execPath, [join(ROOT, 'bin', 'revka.js'), 'onboard', '--provider', 'anthropic', '--base-url', server.baseUrl], {
      cols: 120,
      rows: 30,
      env: { ...process.env, REVKA_STATE_DIR: dir, REVKA_PLUGINS_FILE: join(dir, 'revka.plugins.json') } as Record<string, string>,
    })
    let out = ''
    term.onData((d) => {
      out += d
    })
    const exited = new Promise<number>((r) => term.onExit(({ exitCode }) => r(exitCode)))
    const waitFor = async (re: RegExp, from = 0) => {
      const deadline = Date.now() + 15_000
      while (!re.test(out.slice(from)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
      assert.match(out.slice(from), re, `never saw ${re}; screen so far: ${out}`)
    }
    try {
      await waitFor(/API key for anthropic/)
      term.write(`${KEY}\r`)
      await waitFor(/claude-haiku-4-5/)
      const mark = out.length
      term.write('\x1b[B') // arrow down: the second model
      await waitFor(/claude-haiku-4-5/, mark)
      term.write('\r')
      // the channels, all on by default, in id order: the space bar switches the first (linq) off
      await waitFor(/Channels to run/)
      await waitFor(/WhatsApp/)
      term.write(' ')
      term.write('\r')
      assert.equal(await exited, 0, out)
      assert.ok(!out.includes(KEY), 'the typed key is masked')
      assert.match(out, /test call to anthropic \(claude-haiku-4-5\):/)
      assert.match(out, /The sum is 9\./)
      const cfg = parse(readFileSync(join(dir, 'config.toml'), 'utf8')) as any
      assert.equal(cfg.providers.anthropic.model, 'claude-haiku-4-5')
      assert.equal(cfg.providers.anthropic.api_key_profile, 'anthropic:default')
      assert.ok(!readFileSync(join(dir, 'config.toml'), 'utf8').includes(KEY), 'the key is not in config.toml')
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'revka.plugins.json'), 'utf8')).plugins, { linq: { enabled: false } })
    } finally {
      term.kill()
      await server.close()
      removeDir(dir)
    }
  },
)
