/**
 * `fileReply(path, { root })`: a handler's answer that is a file on disk. The kernel sends it with
 * @fastify/static's `sendFile` (the plugin never touches Fastify), after the route's auth, limits
 * and timeout were enforced like for any other answer.
 */

const FILE_BRAND = Symbol.for('revka.file-reply')

/** Where a `fileReply` takes its file from and how it is served. */
export interface FileReplyOptions {
  /**
   * Absolute folder the file is taken from. The file must lie inside it after every symlink is
   * resolved; one that leaves it answers 404 like a missing file.
   */
  root: string
  /** the `Cache-Control` header (default `no-cache`: revalidate with the ETag every time) */
  cacheControl?: string
  /** more response headers */
  headers?: Record<string, string>
}

/** A file to stream as the response, made by `fileReply`; the kernel resolves it inside `options.root`. */
export interface FileReply {
  readonly [FILE_BRAND]: true
  /** relative to `root`, `/`-separated, as the client asked for it (e.g. a route's `*` part) */
  readonly path: string
  readonly options: Readonly<FileReplyOptions>
}

/**
 * Answer with the file `path` (relative, `/`-separated) under `options.root`. What the client gets:
 *
 * - the content type from the file name, `ETag` and `Last-Modified`; a matching `If-None-Match`
 *   (or `If-Modified-Since`) answers 304 without a body; `Range` requests answer 206; HEAD works;
 * - a pre-compressed sibling (`app.js.br`, `app.js.gz`) instead of the file when the client's
 *   `Accept-Encoding` takes it, with `Content-Encoding`; every answer carries
 *   `Vary: Accept-Encoding`;
 * - 404 `not_found` (the one JSON error shape) for a missing file, a folder, a dotfile anywhere on
 *   the path, a path with `..`, `.` or empty segments, a backslash or NUL, and a file whose real
 *   path (symlinks resolved) is outside `root`. Nothing outside `root` is ever read.
 *
 * Return it from a handler: `return fileReply(req.params['*'], { root })`.
 */
export function fileReply(path: string, options: FileReplyOptions): FileReply {
  return Object.freeze({ [FILE_BRAND]: true as const, path, options: Object.freeze({ ...options }) })
}

/** True for values made by `fileReply()` (brand, not instanceof, so module copies agree). */
export function isFileReply(value: unknown): value is FileReply {
  return typeof value === 'object' && value !== null && (value as any)[FILE_BRAND] === true
}
