/**
 * The gcloud CLI, run without a shell (arguments are an array, never parsed by sh) with the
 * gateway's PATH, HOME and CLOUDSDK_CONFIG. gcloud owns its config format; we read its JSON output
 * instead of parsing its INI files ourselves.
 */
import { execFile } from 'node:child_process'
import { accessSync, constants, readdirSync } from 'node:fs'
import { delimiter, join } from 'node:path'

export interface GcloudEnv {
  env(name: string): string | undefined
}

export class GcloudMissing extends Error {
  constructor() {
    super('gcloud CLI not found on PATH')
  }
}

export class GcloudFailed extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message)
  }
}

/** The first executable `gcloud` on the gateway's PATH, or undefined. */
export function findGcloud(env: GcloudEnv): string | undefined {
  for (const dir of (env.env('PATH') ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, 'gcloud')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
  return undefined
}

export function runGcloud(env: GcloudEnv, args: string[], timeoutMs: number): Promise<string> {
  const bin = findGcloud(env)
  if (!bin) return Promise.reject(new GcloudMissing())
  const childEnv: NodeJS.ProcessEnv = { PATH: env.env('PATH') ?? '', HOME: env.env('HOME') ?? '' }
  const dir = env.env('CLOUDSDK_CONFIG')
  if (dir) childEnv.CLOUDSDK_CONFIG = dir
  // never prompt: a prompt would wait for input until the timeout
  childEnv.CLOUDSDK_CORE_DISABLE_PROMPTS = '1'
  return new Promise((resolve, reject) => {
    execFile(bin, [...args, '--quiet'], { env: childEnv, timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout)
      const timedOut = (err as NodeJS.ErrnoException & { killed?: boolean }).killed === true
      const detail = String(stderr || err.message)
        .trim()
        .split('\n')
        .slice(-3)
        .join(' ')
      reject(new GcloudFailed(timedOut ? `gcloud did not finish within ${timeoutMs} ms` : detail, timedOut))
    })
  })
}

export interface GcloudConfigSummary {
  name: string
  is_active: boolean
  account: string | null
  project: string | null
  run_region: string | null
  compute_region: string | null
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v ? v : null
}

/** `gcloud config configurations list --format=json` → the contract's summaries (no credentials). */
export async function listConfigs(env: GcloudEnv, timeoutMs: number): Promise<GcloudConfigSummary[]> {
  const out = await runGcloud(env, ['config', 'configurations', 'list', '--format=json'], timeoutMs)
  let parsed: unknown
  try {
    parsed = JSON.parse(out)
  } catch {
    throw new GcloudFailed('gcloud printed something that is not JSON', false)
  }
  if (!Array.isArray(parsed)) throw new GcloudFailed('gcloud did not print a list', false)
  return parsed.map((c: any) => ({
    name: String(c?.name ?? ''),
    is_active: c?.is_active === true,
    account: str(c?.properties?.core?.account),
    project: str(c?.properties?.core?.project),
    run_region: str(c?.properties?.run?.region),
    compute_region: str(c?.properties?.compute?.region),
  }))
}

/**
 * The configuration names in gcloud's config dir (`<CLOUDSDK_CONFIG or ~/.config/gcloud>/
 * configurations/config_<name>`): a directory listing, no parsing, so a create can check for a
 * duplicate and the quota without another (slow, Python) gcloud run.
 */
export function configNames(env: GcloudEnv): string[] {
  const dir = env.env('CLOUDSDK_CONFIG') || join(env.env('HOME') ?? '', '.config', 'gcloud')
  try {
    return readdirSync(join(dir, 'configurations'))
      .filter((f) => f.startsWith('config_'))
      .map((f) => f.slice('config_'.length))
  } catch {
    return []
  }
}
