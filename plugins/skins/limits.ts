/**
 * The skins plugin's bounds. The body and time limits and the file count and total size are the
 * contract's (§13); the rest bound what a hostile archive can make the gateway do: entries it must
 * walk, bytes it must inflate per compressed byte, the manifest it must parse.
 */
export const SKIN_LIMITS = Object.freeze({
  /** the import route's body limit (contract: 25 MiB) */
  bodyBytes: 25 * 1024 * 1024,
  /** the import route's timeout (contract: 120 s) */
  timeoutMs: 120_000,
  /** files in a skin (contract: 128) */
  maxFiles: 128,
  /** central-directory entries, folders included, refused before any is read */
  maxEntries: 512,
  /** uncompressed bytes of every file together (contract: 50 MiB), counted while inflating */
  maxTotalBytes: 50 * 1024 * 1024,
  /** inflated bytes per compressed byte an entry may reach once past `ratioFloorBytes` */
  maxRatio: 100,
  /** small files may compress better than `maxRatio` (a flat PNG, a short JSON) */
  ratioFloorBytes: 1024 * 1024,
  /** revka-skin.json, counted while inflating */
  maxManifestBytes: 1024 * 1024,
  maxNameLength: 255,
  /** `name`, `version`, token values */
  maxTextLength: 128,
  maxTokensPerMode: 256,
})
