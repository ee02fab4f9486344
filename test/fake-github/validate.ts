import { invalidRequest } from './errors.js'

/** A request body as a plain object, or a 422 "Invalid request." naming what is wrong. */
export function requireObject(value: unknown, what = 'the request body'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest(`${what} is not an object.`)
  }
  return value as Record<string, unknown>
}

/** A required string property. */
export function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key]
  if (typeof value !== 'string') throw invalidRequest(`"${key}" ${describe(value)}, it must be a string.`)
  return value
}

/** An optional string property (`null` counts as absent). */
export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw invalidRequest(`"${key}" ${describe(value)}, it must be a string.`)
  return value
}

/** An optional boolean property. */
export function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw invalidRequest(`"${key}" ${describe(value)}, it must be a boolean.`)
  return value
}

/** An optional array of strings. */
export function optionalStringArray(body: Record<string, unknown>, key: string): string[] | undefined {
  const value = body[key]
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw invalidRequest(`"${key}" ${describe(value)}, it must be an array of strings.`)
  }
  return value
}

function describe(value: unknown): string {
  return value === undefined ? "wasn't supplied" : `is ${JSON.stringify(value)}`
}
