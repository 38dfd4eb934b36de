import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bootTerminal, isolateHome, openTerm, outputLine } from './test-helpers.js'

isolateHome()

test('keystrokes go in, PTY output comes back as text frames', async () => {
  const k = await bootTerminal()
  try {
    const t = await openTerm(k)
    assert.equal(t.ws.protocol, 'revka.v1')
    // the echo of what was typed shows `$((40+2))`; only the shell's output says 42
    t.send('echo hello-$((40+2))\r')
    await t.waitFor(/hello-42/)
    // binary frames are keystrokes too
    const from = t.output.length
    t.ws.send(Buffer.from('echo bin-$((6*7))\r'))
    await t.waitFor(/bin-42/, { from })
    t.ws.close()
    await t.closed
  } finally {
    await k.stop()
  }
})

test('size: 80×24 by default, cols/rows from the query (clamped), and a resize frame changes `stty size`', async () => {
  const k = await bootTerminal()
  try {
    const t = await openTerm(k)
    t.send('stty size\r')
    await t.waitFor(outputLine('24 80'))
    let from = t.output.length
    t.send(JSON.stringify({ type: 'resize', cols: 100, rows: 30 }))
    t.send('stty size\r')
    await t.waitFor(outputLine('30 100'), { from })
    from = t.output.length
    // out-of-range sizes are clamped, not passed to the kernel
    t.send(JSON.stringify({ type: 'resize', cols: 1_000_000, rows: -5 }))
    t.send('stty size\r')
    await t.waitFor(outputLine('1 1000'), { from })
    t.ws.close()

    const q = await openTerm(k, 'cols=120&rows=40')
    q.send('stty size\r')
    await q.waitFor(outputLine('40 120'))
    q.ws.close()

    const junk = await openTerm(k, 'cols=wide&rows=')
    junk.send('stty size\r')
    await junk.waitFor(outputLine('24 80'))
    junk.ws.close()
    await Promise.all([t.closed, q.closed, junk.closed])
  } finally {
    await k.stop()
  }
})
