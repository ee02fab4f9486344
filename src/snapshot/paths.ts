import type { ContentType } from '../config/content-types.js'

/** Where the ledger lives on the data branch. */
export const LEDGER_PATH = 'state/ledger.json'
/** Where the manifest lives on the data branch. */
export const MANIFEST_PATH = 'manifest.json'

/** `audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.csv`: one file per content type and UTC day. */
export function dayFilePath(contentType: ContentType, day: string, extension = 'csv'): string {
  const [year, month] = day.split('-')
  return `audit/${contentType}/${year}/${month}/${day}.${extension}`
}
