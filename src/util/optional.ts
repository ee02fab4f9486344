/**
 * `{ [key]: value }` when value is defined, else `{}`: with exactOptionalPropertyTypes-style
 * strictness an optional property must be absent, not undefined.
 */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V })
}
