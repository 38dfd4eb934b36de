/**
 * Client-side routes as real paths under the base (`/chat`, `{prefix}/cost`): the dashboard plugin
 * answers every unknown GET with index.html, so a reload or a shared link lands on the same page.
 */
import { useEffect, useState } from 'preact/hooks'
import { BASE } from './api.js'

const listeners = new Set<() => void>()

export function currentPath(): string {
  const p = location.pathname
  const rest = p.startsWith(BASE) ? p.slice(BASE.length) : p
  return rest === '' ? '/' : rest
}

export function navigate(path: string): void {
  history.pushState(null, '', BASE + path)
  for (const fn of listeners) fn()
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath)
  useEffect(() => {
    const update = () => setPath(currentPath())
    listeners.add(update)
    addEventListener('popstate', update)
    return () => {
      listeners.delete(update)
      removeEventListener('popstate', update)
    }
  }, [])
  return path
}

/** An in-app link: a real href (open in a new tab works), navigation without a reload. */
export function linkProps(path: string) {
  return {
    href: BASE + path,
    onClick: (e: MouseEvent) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
      e.preventDefault()
      navigate(path)
    },
  }
}
