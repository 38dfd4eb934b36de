/**
 * Sending a handler's `fileReply()` (SDK file-reply.ts) with @fastify/static's `reply.sendFile`:
 * content types, ETag/Last-Modified with 304s, ranges, HEAD and pre-compressed `.br`/`.gz`
 * siblings come from it (and from @fastify/send under it), not from code of ours.
 *
 * Loaded on the first file reply, not at start: @fastify/static with @fastify/send, glob and the
 * MIME table took ~120 ms to import here, and every start — headless ones included — would pay
 * it for an asset nobody may ask for. A plugin registered after the server started is refused by
 * Fastify, so @fastify/static's plugin function is applied once to a stand-in that records the
 * reply decorators it adds (with `serve: false` that is all it does) and the recorded `sendFile`
 * is called on the real reply.
 *
 * Checks of our own, before and around it: the path must be relative and canonical (no `..`, `.`
 * or empty segments, no dotfile segment, no `\` or NUL), and the file actually opened — the
 * compressed sibling included — must lie inside the root once symlinks are resolved.
 */
import { createRequire } from 'node:module'
import { realpath } from 'node:fs/promises'
import { sep } from 'node:path'
import type { FastifyReply } from 'fastify'
import { httpError, type FileReply } from '@revka/plugin-sdk'
import { sendError } from './errors.js'

type SendFile = (this: FastifyReply, path: string, root: string, options: Record<string, unknown>) => FastifyReply

const require = createRequire(import.meta.url)
let sendFileFn: Promise<SendFile> | undefined

function loadSendFile(): Promise<SendFile> {
  sendFileFn ??= (async () => {
    const fastifyStatic = require('@fastify/static') as (instance: unknown, opts: Record<string, unknown>) => Promise<void>
    const decorators: Record<string, SendFile> = {}
    const standIn = {
      decorateReply: (name: string, fn: SendFile) => {
        decorators[name] = fn
      },
    }
    await fastifyStatic(standIn, { serve: false, preCompressed: true, index: false, dotfiles: 'ignore' })
    if (typeof decorators.sendFile !== 'function') throw new Error('REVKA_ERR_FILE_REPLY: @fastify/static did not provide reply.sendFile')
    return decorators.sendFile
  })()
  return sendFileFn
}

/** a relative, `/`-separated path with nothing that could step out or reach a hidden file */
export function safeRelativePath(path: string): boolean {
  if (typeof path !== 'string' || !path || path.length > 1024) return false
  if (path.includes('\\') || path.includes('\0')) return false
  for (const seg of path.split('/')) {
    if (!seg || seg.charCodeAt(0) === 46 /* . */) return false
  }
  return true
}

function inside(real: string, root: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep)
}

export async function sendFileReply(reply: FastifyReply, file: FileReply): Promise<FastifyReply> {
  const method = reply.request.method
  const missing = () => sendError(reply, 404, 'not_found', `No file for ${method} ${reply.request.url.split('?')[0]}`)
  const { root } = file.options
  if (!safeRelativePath(file.path)) return missing()
  let realRoot: string
  try {
    realRoot = await realpath(root)
  } catch {
    return missing()
  }
  const sendFile = await loadSendFile()
  reply.header('cache-control', file.options.cacheControl ?? 'no-cache')
  const headers = file.options.headers
  if (headers) for (const k in headers) reply.header(k, headers[k])
  return sendFile.call(reply, `/${file.path}`, realRoot, {
    // the Cache-Control header above is the one sent
    cacheControl: false,
    // runs on the file about to be opened (the .br/.gz sibling when one is chosen)
    onFile: async (selected: string) => {
      const real = await realpath(selected).catch(() => '')
      if (!real || !inside(real, realRoot)) throw httpError(404, 'not_found', `No file for ${method} ${reply.request.url.split('?')[0]}`)
    },
  })
}
