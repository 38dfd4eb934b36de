/**
 * The two built-in skins the contract lists (§13): `revka` ("Revka Default") and `matrix`
 * ("Matrix"). Tokens only (no assets): a radius/shell set shared by both modes plus colours per
 * mode. Built-ins may use `--revka-shadow-*`, which imports may not.
 */
import type { SkinManifest, SkinMode } from './manifest.js'

const SHELL = {
  '--revka-radius-sm': '4px',
  '--revka-radius-md': '8px',
  '--revka-radius-lg': '14px',
  '--revka-shell-sidebar-width': '248px',
  '--revka-shell-header-height': '56px',
}

const mode = (colours: Record<string, string>): SkinMode => ({ tokens: { ...SHELL, ...colours }, assets: {} })

export const BUILTIN_SKINS: readonly SkinManifest[] = Object.freeze([
  {
    schemaVersion: 1,
    id: 'revka',
    name: 'Revka Default',
    version: '1.0.0',
    modes: {
      light: mode({
        '--revka-bg': '#f7f7fb',
        '--revka-surface': '#ffffff',
        '--revka-text': '#1b1d29',
        '--revka-muted': '#5d6275',
        '--revka-accent': '#5b5bd6',
        '--revka-border': '#e2e4ee',
        '--revka-success': '#1f9d55',
        '--revka-danger': '#d64545',
        '--revka-shadow-card': '0 1px 3px rgba(20, 22, 40, 0.12)',
      }),
      dark: mode({
        '--revka-bg': '#0f1117',
        '--revka-surface': '#171a23',
        '--revka-text': '#e8eaf2',
        '--revka-muted': '#9aa0b5',
        '--revka-accent': '#8b8bff',
        '--revka-border': '#272b38',
        '--revka-success': '#3ccf7e',
        '--revka-danger': '#ff6b6b',
        '--revka-shadow-card': '0 1px 3px rgba(0, 0, 0, 0.5)',
      }),
    },
  },
  {
    schemaVersion: 1,
    id: 'matrix',
    name: 'Matrix',
    version: '1.0.0',
    modes: {
      dark: mode({
        '--revka-bg': '#020a04',
        '--revka-surface': '#06140a',
        '--revka-text': '#b6ffc4',
        '--revka-muted': '#4fa865',
        '--revka-accent': '#00ff41',
        '--revka-border': '#0f3a1a',
        '--revka-success': '#00ff41',
        '--revka-danger': '#ff3b3b',
        '--revka-shadow-card': '0 0 8px rgba(0, 255, 65, 0.25)',
      }),
    },
  },
])
