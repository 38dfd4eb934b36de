/**
 * Dark mode: follows the system (prefers-color-scheme) until the operator picks light or dark;
 * the choice is kept in localStorage and set as `data-theme` on <html>, which the CSS reads.
 */
export type Theme = 'system' | 'light' | 'dark'
const KEY = 'revka.theme'

export function loadTheme(): Theme {
  const t = localStorage.getItem(KEY)
  return t === 'light' || t === 'dark' ? t : 'system'
}

export function applyTheme(t: Theme): void {
  if (t === 'system') {
    localStorage.removeItem(KEY)
    delete document.documentElement.dataset.theme
  } else {
    localStorage.setItem(KEY, t)
    document.documentElement.dataset.theme = t
  }
}

export const nextTheme = (t: Theme): Theme => (t === 'system' ? 'dark' : t === 'dark' ? 'light' : 'system')
