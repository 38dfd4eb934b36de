import { test } from 'node:test'
import assert from 'node:assert/strict'
import { alive, bootTerminal, isolateHome, openTerm, waitGone, type TermClient } from './test-helpers.js'

isolateHome()

async function shellPid(t: TermClient): Promise<number> {
  const from = t.output.length
  t.send('echo PID-$$\r')
  const m = await t.waitFor(/PID-(\d+)/, { from })
  return Number(m[1])
}

test('closing the socket kills the PTY; the PTY exiting closes the socket', async () => {
  const k = await bootTerminal()
  try {
    const t = await openTerm(k)
    const pid = await shellPid(t)
    assert.ok(alive(pid))
    t.ws.close()
    assert.equal(await waitGone(pid), true, `shell ${pid} still running after the socket closed`)

    const u = await openTerm(k)
    const upid = await shellPid(u)
    u.send('exit 3\r')
    assert.deepEqual(await u.closed, { code: 1000, reason: 'process exited' })
    assert.equal(await waitGone(upid), true)
    // each terminal is on the audit chain: opened and closed, by which device
    const { events } = await k.kernel.audit.query({ event_type: 'command_execution' })
    const cmds = events.map((e) => e.action!.command!).reverse()
    assert.equal(cmds.filter((c) => c.startsWith('terminal.open ')).length, 2, cmds.join('; '))
    assert.equal(cmds.filter((c) => c.startsWith('terminal.close ')).length, 2, cmds.join('; '))
    assert.ok(events.every((e) => e.actor!.channel === 'terminal' && e.actor!.user_id))
  } finally {
    await k.stop()
  }
})

test('a program that ignores SIGHUP is killed anyway', async () => {
  const k = await bootTerminal()
  try {
    const t = await openTerm(k)
    const pid = await shellPid(t)
    // replace the shell with a process that ignores the hangup (same pid)
    t.send(`exec /bin/sh -c 'trap "" HUP; echo IGNORING-$((1+1)); while :; do sleep 0.1; done'\r`)
    await t.waitFor(/IGNORING-2/)
    t.ws.close()
    assert.equal(await waitGone(pid, 6000), true, 'SIGKILL follows the grace period')
  } finally {
    await k.stop()
  }
})

test('stopping the gateway closes terminals and kills their processes', async () => {
  const k = await bootTerminal()
  const t = await openTerm(k)
  const pid = await shellPid(t)
  await k.stop()
  const closed = await t.closed
  assert.equal(closed.code, 1001)
  assert.equal(alive(pid), false, 'no PTY outlives the plugin')
})
