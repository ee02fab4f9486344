/** Where GitHub points its generic errors (bad credentials, unknown routes). */
export const DOCS_ROOT = 'https://docs.github.com/rest'

/** One entry of a 422 "Validation Failed" body, as GitHub shapes it. */
export interface ValidationErrorDetail {
  resource: string
  code: 'missing' | 'missing_field' | 'invalid' | 'already_exists' | 'unprocessable' | 'custom'
  field?: string
  message?: string
}

/** The JSON body of every GitHub REST error. */
export interface ErrorBody {
  message: string
  errors?: ValidationErrorDetail[]
  documentation_url: string
  /** Newer GitHub responses repeat the status code as a string. */
  status: string
}

/**
 * An error a route handler throws to answer with a GitHub-shaped error response.
 * Handlers may leave `documentationUrl` out; the server fills in the route's own page.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly options: {
      documentationUrl?: string
      errors?: ValidationErrorDetail[]
      headers?: Record<string, string>
    } = {}
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /** The response body, using `fallbackDocs` when the error names no documentation page. */
  toBody(fallbackDocs: string): ErrorBody {
    return {
      message: this.message,
      ...(this.options.errors ? { errors: this.options.errors } : {}),
      documentation_url: this.options.documentationUrl ?? fallbackDocs,
      status: String(this.status)
    }
  }
}

/** GitHub's error texts, as constants so tests and handlers agree on the exact words. */
export const Messages = {
  badCredentials: 'Bad credentials',
  notFound: 'Not Found',
  emptyRepository: 'Git Repository is empty.',
  notAccessible: 'Resource not accessible by integration',
  problemsParsingJson: 'Problems parsing JSON',
  validationFailed: 'Validation Failed',
  referenceExists: 'Reference already exists',
  referenceMissing: 'Reference does not exist',
  referenceNameInvalid: "Reference name must start with 'refs/' and have at least two slashes.",
  objectMissing: 'Object does not exist',
  notFastForward: 'Update is not a fast forward',
  invalidBaseTree: 'base_tree is not a valid tree oid',
  invalidTreeInfo: 'Invalid tree info',
  malformedPath: 'tree.path contains a malformed path component',
  treeMissing: 'Tree SHA does not exist',
  treeNotATree: 'Tree SHA is not a tree object',
  parentMissing: 'Parent SHA does not exist or is not a commit object'
} as const

/** 404 Not Found. */
export function notFound(documentationUrl?: string): ApiError {
  return new ApiError(404, Messages.notFound, documentationUrl === undefined ? {} : { documentationUrl })
}

/** 422 with a plain message, as the Git Data API answers most refusals. */
export function unprocessable(message: string): ApiError {
  return new ApiError(422, message)
}

/** 422 "Validation Failed" with `errors[]`, as the Issues API answers bad fields. */
export function validationFailed(...errors: ValidationErrorDetail[]): ApiError {
  return new ApiError(422, Messages.validationFailed, { errors })
}

/**
 * 422 for a request that does not match the endpoint's schema. GitHub words these as
 * "Invalid request.\n\n<detail>".
 */
export function invalidRequest(detail: string): ApiError {
  return new ApiError(422, `Invalid request.\n\n${detail}`)
}
