/** Run a plugin step with a timeout; a throw or a timeout becomes a diagnostic, never a crash. */
export async function guarded<T>(label: string, timeoutMs: number, fn: () => T | Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  let timer: NodeJS.Timeout | undefined
  try {
    const value = await Promise.race([
      Promise.resolve().then(fn),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`REVKA_ERR_PLUGIN_TIMEOUT: ${label} exceeded ${timeoutMs} ms`)), timeoutMs)
        timer.unref()
      }),
    ])
    return { ok: true, value }
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    return { ok: false, error: msg.startsWith('REVKA_ERR_') ? msg : `${label} threw: ${msg}` }
  } finally {
    if (timer) clearTimeout(timer)
  }
}
