/**
 * Frames on one `/ws/chat` socket are handled in order, each after the store answered for the one
 * before. A local SQLite store answers at once; a cluster engine that stalls would let a client
 * that keeps sending pile its frames up in memory. The handler holds at most MAX_WAITING_FRAMES of
 * them: the next is refused with TOO_MANY_FRAMES and the socket closed (1008), and none of the
 * waiting frames ever reaches the turns. A burst of more frames in one read from a store that
 * answers at once (a single node's SQLite) is no stall: every frame is handled, as before the bound.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type { Logger, RevkaRequest, RevkaSocket } from '@revka/plugin-sdk'
import { SessionAdmission } from './session-admission.js'
import type { SessionStore } from './session-store.js'
import type { TurnManager } from './turns.js'
import { chatSocketHandler, MAX_WAITING_FRAMES } from './ws-chat.js'

class StallingSocket extends EventEmitter {
  readyState = 1
  bufferedAmount = 0
  sent: any[] = []
  closedWith: number | null = null
  send(data: string): void {
    this.sent.push(JSON.parse(data))
  }
  close(code: number): void {
    this.closedWith = code
    this.readyState = 3
    this.emit('close')
  }
}

function harness(store: SessionStore): { socket: StallingSocket; submitted: string[] } {
  const submitted: string[] = []
  const turns = {
    submit: (sid: string) => submitted.push(sid),
    detach: () => {},
    state: () => ({ state: 'idle' }),
  } as unknown as TurnManager
  const log = { error() {}, warn() {}, info() {}, debug() {} } as unknown as Logger
  const handler = chatSocketHandler({
    store: () => store,
    turns,
    relay: () => () => {},
    firstFrameWaitMs: 5000,
    maxMessageBytes: 1024,
    admission: new SessionAdmission(() => store, { sessionsPerMinute: 1000, maxSessionsPerCredential: 10 }),
    log,
  })
  const socket = new StallingSocket()
  const req = { query: { session_id: 'stalled' }, auth: { via: 'bearer', credentialId: 'dev-1' } } as unknown as RevkaRequest<undefined>
  handler(socket as unknown as RevkaSocket, req)
  return { socket, submitted }
}

const frame = Buffer.from(JSON.stringify({ type: 'message', content: 'hello' }))

test(`a socket whose store stalls holds at most ${MAX_WAITING_FRAMES} waiting frames; one more closes it and nothing reaches the turns`, async () => {
  const never = new Promise<never>(() => {})
  const { socket, submitted } = harness({ open: true, get: () => never, activeOwnedBy: () => never } as unknown as SessionStore)
  for (let i = 0; i < MAX_WAITING_FRAMES; i++) socket.emit('message', frame)
  await new Promise((r) => setImmediate(r))
  assert.equal(socket.closedWith, null, `${MAX_WAITING_FRAMES} waiting frames are allowed`)
  assert.equal(socket.sent.length, 0, 'no session_start while the store has not answered')

  socket.emit('message', frame)
  assert.equal(socket.closedWith, 1008)
  assert.equal(socket.sent.length, 1)
  assert.equal(socket.sent[0].code, 'TOO_MANY_FRAMES')
  assert.deepEqual(submitted, [], 'no waiting frame became a turn')
})

test(`a burst of ${MAX_WAITING_FRAMES * 2} frames in one read from a store that answers at once is handled whole`, async () => {
  const { socket, submitted } = harness({ open: true, get: async () => undefined, activeOwnedBy: async () => 0 } as unknown as SessionStore)
  await new Promise((r) => setImmediate(r))
  for (let i = 0; i < MAX_WAITING_FRAMES * 2; i++) socket.emit('message', frame)
  await new Promise((r) => setImmediate(r))
  assert.equal(socket.closedWith, null)
  assert.equal(socket.sent[0].type, 'session_start')
  assert.equal(submitted.length, MAX_WAITING_FRAMES * 2)
})
