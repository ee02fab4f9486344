/** `2026-11-20T06:00:00Z`: GitHub's timestamps are UTC without milliseconds. */
export function toIsoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
