/**
 * The kernel's operations seam (`KernelServices.ops`): the doctor's findings, the CLI tools found on
 * PATH, and a description of every discovered plugin. The same check code runs behind
 * `GET/POST /api/doctor` and `revka doctor`, so both report the same findings.
 */
import type { PluginInfo } from './kernel-services.js'
import type { PluginIntegration } from './integration.js'

export type { IntegrationCategory, PluginIntegration } from './integration.js'

/** How serious a doctor finding is. */
export type DoctorSeverity = 'ok' | 'warn' | 'error'

/** One finding (contract DOMAIN.md §17). */
export interface DoctorFinding {
  severity: DoctorSeverity
  /** `config`, `state`, `store`, `daemon`, `plugins`, `environment`, `cli-tools` */
  category: string
  message: string
}

/** Every doctor finding with a count per severity. */
export interface DoctorReport {
  results: DoctorFinding[]
  summary: { ok: number; warnings: number; errors: number }
}

/** The group a CLI tool is listed under. */
export type CliToolCategory = 'VersionControl' | 'Language' | 'PackageManager' | 'Container' | 'Build' | 'Cloud' | 'AiAgent' | 'Productivity'

/** A CLI tool found on PATH. */
export interface CliTool {
  name: string
  /** absolute path of the executable found on PATH */
  path: string
  /** the first line the tool printed for `--version`, or null when it printed none in time */
  version: string | null
  category: CliToolCategory
}

/** A discovered plugin: its status plus what its manifest says and how long its phases took. */
export interface PluginDescription extends PluginInfo {
  name: string | null
  description: string | null
  requires: string[]
  provides: string[]
  modes: Array<'gateway' | 'daemon'>
  integration: PluginIntegration | null
  /** ms each phase took at the last start; null for a phase that did not run */
  timings: { importMs: number | null; setupMs: number | null; startMs: number | null }
}

/** The kernel's operations service (`KernelServices.ops`). */
export interface OpsService {
  /** run every check now (the CLI tool probe is cached after its first run) */
  doctor(): Promise<DoctorReport>
  /** tools found on PATH with their versions: probed once per process, each probe time-bounded */
  cliTools(): Promise<CliTool[]>
  /** every discovered plugin, enabled or not, in discovery order */
  plugins(): PluginDescription[]
}
