/**
 * `integration` in revka.plugin.json: how a plugin shows on the integrations page. Its own file
 * because both the manifest type and the ops seam name it (one importing the other made a cycle).
 */

/** PascalCase categories of the contract's integrations page. */
export type IntegrationCategory = 'Chat' | 'AiModel' | 'Productivity' | 'MusicAudio' | 'SmartHome' | 'ToolsAutomation' | 'MediaCreative' | 'Social' | 'Platform'

/** The manifest's `integration` entry. */
export interface PluginIntegration {
  category: IntegrationCategory
  /** shown name; default the manifest's `name`, else its id */
  name?: string
  /** default the manifest's `description` */
  description?: string
}
