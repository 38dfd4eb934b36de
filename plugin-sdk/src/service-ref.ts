/**
 * A typed reference to a service by its manifest name. Kept apart from `services.ts` (which lists
 * the kernel's own services and so imports every service interface) so that the interface files
 * can declare their refs without an import cycle through it.
 */
export interface ServiceRef<T> {
  readonly id: string
  /** phantom field: carries T for type inference only */
  readonly __type?: T
}

/** Declare a typed reference to a service by its manifest name. */
export function serviceRef<T>(id: string): ServiceRef<T> {
  if (!/^[a-z][a-z0-9-]*$/.test(id)) throw new Error(`REVKA_ERR_SERVICE_NAME: "${id}" is not kebab-case`)
  return Object.freeze({ id }) as ServiceRef<T>
}
