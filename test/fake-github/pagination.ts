/** One page of a list, and the `Link` header to the others (absent when everything fits). */
export interface Page<T> {
  items: T[]
  link?: string
}

const DEFAULT_PER_PAGE = 30
const MAX_PER_PAGE = 100

/**
 * Slices `items` by `per_page` (default 30, at most 100) and `page` (from 1), and builds
 * GitHub's `Link` header with absolute URLs that keep the request's other parameters, so
 * `octokit.paginate` can follow `rel="next"` as it does on github.com.
 */
export function paginate<T>(items: readonly T[], query: URLSearchParams, listUrl: string): Page<T> {
  const perPage = clamp(Number(query.get('per_page') ?? DEFAULT_PER_PAGE), 1, MAX_PER_PAGE, DEFAULT_PER_PAGE)
  const page = clamp(Number(query.get('page') ?? 1), 1, Number.MAX_SAFE_INTEGER, 1)
  const lastPage = Math.max(1, Math.ceil(items.length / perPage))
  const pageItems = items.slice((page - 1) * perPage, page * perPage)

  const pageUrl = (target: number): string => {
    const params = new URLSearchParams(query)
    params.set('per_page', String(perPage))
    params.set('page', String(target))
    return `${listUrl}?${params.toString()}`
  }
  const links: string[] = []
  if (page > 1) links.push(`<${pageUrl(Math.min(page - 1, lastPage))}>; rel="prev"`)
  if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`)
  if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`)
  return links.length === 0 ? { items: pageItems } : { items: pageItems, link: links.join(', ') }
}

function clamp(value: number, min: number, max: number, fallback: number): number {
  if (!Number.isInteger(value)) return fallback
  return Math.min(max, Math.max(min, value))
}
