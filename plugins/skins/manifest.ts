/**
 * `revka-skin.json`: the contract's validation rules 5–7 (DOMAIN.md §13), in order, and the
 * re-serialised manifest that is stored (unknown fields dropped). Tokens become CSS custom
 * properties in the dashboard, so their values are held to colours and lengths: nothing that can
 * load a URL, run script or break out of a declaration.
 */
import { httpError, isObject } from '@revka/plugin-sdk'
import { SKIN_LIMITS } from './limits.js'

export const BUILTIN_IDS = new Set(['revka', 'matrix'])
export const SKIN_ID = /^[a-z0-9_-]{1,64}$/
const MODES = ['light', 'dark'] as const
export const ASSET_SLOTS = new Set([
  'brandLogo',
  'operatorAvatar',
  'dashboardHero',
  'shellTexture',
  'panelDecoration',
  'pageBackdrop',
  'sidebarBackdrop',
  'headerBackdrop',
  'dashboardShowcase',
  'dashboardAccent',
  'graphBackdrop',
  'metricDecoration',
  'runCardDecoration',
  'stepCardDecoration',
  'timelineDecoration',
  'riskRailDecoration',
  'agentRailDecoration',
  'commandBandDecoration',
  'recentRunsDecoration',
  'statusRunningBadge',
  'statusSuccessBadge',
  'statusFailedBadge',
  'statusPendingBadge',
  'statusSkippedBadge',
])

export interface SkinMode {
  tokens: Record<string, string>
  assets: Record<string, string>
  preview?: string
}

export interface SkinManifest {
  schemaVersion: 1
  id: string
  name: string
  version: string
  modes: { light?: SkinMode; dark?: SkinMode }
}

const bad = (message: string) => httpError(400, 'invalid_skin_manifest', `revka-skin.json: ${message}`)

const HEX = /^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/
const FUNC = /^(?:rgb|rgba|hsl|hsla)\(([0-9a-z ,.%+\-/]*)\)$/i
const ANGLE_UNITS = new Set(['deg', 'rad', 'grad', 'turn'])
const LENGTH = /^(\d+(?:\.\d+)?)(px|rem|em|%)$/

function isColour(v: string): boolean {
  if (HEX.test(v)) return true
  if (v.length > 96) return false
  const m = FUNC.exec(v)
  if (!m) return false
  // letters only as angle units (hsl(120deg …)); anything else could be a keyword or a function
  return (m[1].match(/[a-z]+/gi) ?? []).every((w) => ANGLE_UNITS.has(w.toLowerCase()))
}

function isLength(v: string): boolean {
  if (v === '0') return true
  const m = LENGTH.exec(v)
  if (!m) return false
  const n = Number(m[1])
  return m[2] === '%' ? n <= 100 : n <= 256
}

function checkToken(mode: string, name: string, value: unknown): string {
  const where = `modes.${mode}.tokens["${name}"]`
  if (!name.startsWith('--revka-')) throw bad(`${where}: token names must start with --revka-`)
  if (name.length > SKIN_LIMITS.maxTextLength || !/^--revka-[a-zA-Z0-9_-]+$/.test(name)) throw bad(`${where}: token names are letters, digits, - and _`)
  if (/shadow|background-image/i.test(name)) throw bad(`${where}: shadow and background-image tokens cannot be imported`)
  if (typeof value !== 'string') throw bad(`${where}: the value must be a string`)
  const v = value.trim()
  if (/url\(|javascript:|expression\(|var\(|[<>;]/i.test(v)) throw bad(`${where}: the value contains url(, javascript:, expression(, var( or one of < > ;`)
  if (!isColour(v) && !isLength(v))
    throw bad(`${where}: the value must be a colour (#hex, rgb(), rgba(), hsl(), hsla()) or a length (0, N px|rem|em up to 256, N% up to 100)`)
  return v
}

function checkAssetPath(where: string, path: unknown, files: ReadonlySet<string>): string {
  if (typeof path !== 'string' || !path) throw bad(`${where}: the path must be a non-empty string`)
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//')) throw bad(`${where}: remote or scheme paths are not allowed ("${path}")`)
  if (path.startsWith('/')) throw bad(`${where}: the path must be relative ("${path}")`)
  if (path.includes('\\') || path.split('/').includes('..')) throw bad(`${where}: ".." and "\\" are not allowed ("${path}")`)
  if (!path.startsWith('assets/')) throw bad(`${where}: the path must start with assets/ ("${path}")`)
  if (!/\.(png|jpe?g|webp)$/i.test(path)) throw bad(`${where}: assets are .png, .jpg, .jpeg or .webp ("${path}")`)
  if (!files.has(path)) throw bad(`${where}: "${path}" is not in the ZIP`)
  return path
}

function checkMode(mode: string, raw: unknown, files: ReadonlySet<string>): SkinMode {
  if (!isObject(raw)) throw bad(`modes.${mode} must be an object`)
  const tokens: Record<string, string> = {}
  if (raw.tokens !== undefined) {
    if (!isObject(raw.tokens)) throw bad(`modes.${mode}.tokens must be an object`)
    const entries = Object.entries(raw.tokens)
    if (entries.length > SKIN_LIMITS.maxTokensPerMode) throw bad(`modes.${mode}.tokens: at most ${SKIN_LIMITS.maxTokensPerMode} tokens`)
    for (const [name, value] of entries) tokens[name] = checkToken(mode, name, value)
  }
  const assets: Record<string, string> = {}
  if (raw.assets !== undefined) {
    if (!isObject(raw.assets)) throw bad(`modes.${mode}.assets must be an object`)
    for (const [slot, path] of Object.entries(raw.assets)) {
      if (!ASSET_SLOTS.has(slot)) throw bad(`modes.${mode}.assets.${slot}: unknown asset slot`)
      assets[slot] = checkAssetPath(`modes.${mode}.assets.${slot}`, path, files)
    }
  }
  const out: SkinMode = { tokens, assets }
  if (raw.preview !== undefined) out.preview = checkAssetPath(`modes.${mode}.preview`, raw.preview, files)
  return out
}

function text(v: unknown, key: string): string {
  if (typeof v !== 'string' || !v.trim()) throw bad(`${key} must be a non-blank string`)
  if (v.length > SKIN_LIMITS.maxTextLength) throw bad(`${key} is longer than ${SKIN_LIMITS.maxTextLength} characters`)
  return v.trim()
}

/** Parse and check the manifest bytes; `files` are the ZIP's file names. Throws 400 on the first problem. */
export function parseManifest(bytes: Buffer, files: ReadonlySet<string>): SkinManifest {
  let raw: unknown
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (e) {
    throw bad(`not UTF-8 JSON (${(e as Error).message})`)
  }
  if (!isObject(raw)) throw bad('must be a JSON object')
  for (const k of ['schemaVersion', 'id', 'name', 'version', 'modes']) if (!(k in raw)) throw bad(`"${k}" is required`)
  if (!isObject(raw.modes)) throw bad('modes must be an object')
  const extra = Object.keys(raw.modes).filter((k) => !(MODES as readonly string[]).includes(k))
  if (extra.length) throw bad(`modes may only have "light" and "dark" (found "${extra[0]}")`)
  if (raw.modes.light === undefined && raw.modes.dark === undefined) throw bad('modes needs "light" or "dark"')
  if (raw.schemaVersion !== 1) throw bad('schemaVersion must be 1')
  if (typeof raw.id !== 'string' || !SKIN_ID.test(raw.id)) throw bad('id must match [a-z0-9_-]{1,64}')
  if (BUILTIN_IDS.has(raw.id)) throw bad(`id "${raw.id}" is a built-in skin`)
  const manifest: SkinManifest = { schemaVersion: 1, id: raw.id, name: text(raw.name, 'name'), version: text(raw.version, 'version'), modes: {} }
  for (const mode of MODES) {
    if (raw.modes[mode] !== undefined) manifest.modes[mode] = checkMode(mode, raw.modes[mode], files)
  }
  return manifest
}
