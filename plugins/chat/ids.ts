/**
 * Identifiers that become path segments on disk (session folders, attachment files). They are
 * checked by shape — a closed alphabet with no dot and no separator — so `..`, `a/b`, `%2e%2e`
 * (already decoded by the router) and absolute paths can never reach `path.join`.
 */
import { randomUUID } from 'node:crypto'
import { httpError } from '@revka/plugin-sdk'

const ID = /^[A-Za-z0-9_-]{1,128}$/

/** 1–128 characters of `[A-Za-z0-9_-]`. */
export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID.test(id)
}

/** The session id of a REST path, or a 400 in the contract's error shape. */
export function sessionIdParam(raw: string | undefined): string {
  if (!isValidId(raw)) {
    throw httpError(400, 'invalid_session_id', 'Invalid session id: use 1–128 characters of A–Z, a–z, 0–9, "_" or "-"')
  }
  return raw
}

export function newSessionId(): string {
  return randomUUID()
}

export function newFileId(): string {
  return randomUUID()
}
