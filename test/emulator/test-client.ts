/**
 * A small HTTPS client for the emulator's own tests: trusts the emulator's certificate through
 * an undici Agent (no environment variables) and gets tokens with the client secret.
 */
import { sign, type KeyLike } from 'node:crypto'
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node'
import { Agent, fetch, type Dispatcher } from 'undici'
import type { Emulator } from './index.js'

/** A decoded answer. */
export interface Answer {
  status: number
  headers: Headers
  text: string
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: unknown
}

/** Test client bound to one emulator. */
export class TestClient {
  readonly agent: Agent
  token: string | undefined

  constructor(private readonly emulator: Emulator) {
    this.agent = new Agent({ connect: { ca: emulator.caCertPem } })
  }

  /** POSTs a form to the v2 token endpoint (defaults: the emulator's app and secret). */
  async tokenRequest(form: Record<string, string | undefined> = {}, path = '/oauth2/v2.0/token'): Promise<Answer> {
    const e = this.emulator
    const fields: Record<string, string | undefined> = {
      grant_type: 'client_credentials',
      client_id: e.clientId,
      client_secret: e.clientSecret,
      scope: `${e.resource}/.default`,
      ...form
    }
    const body = new URLSearchParams()
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) body.set(k, v)
    return this.send('POST', `${e.authority}${path}`, {
      body: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' }
    })
  }

  /** Fetches (and keeps) an access token. */
  async login(): Promise<string> {
    const answer = await this.tokenRequest()
    if (answer.status !== 200) throw new Error(`token request failed: ${answer.text}`)
    this.token = (answer.json as { access_token: string }).access_token
    return this.token
  }

  /**
   * Calls the API. `target` is a path below `apiRoot` (e.g. `subscriptions/list`) or an
   * absolute URL (e.g. a NextPageUri, used verbatim).
   */
  async api(method: 'GET' | 'POST', target: string, query: Record<string, string> = {}): Promise<Answer> {
    const url = new URL(/^https:/.test(target) ? target : `${this.emulator.apiRoot}/${target}`)
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
    const headers: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {}
    return this.send(method, url.href, { headers })
  }

  /** Raw request. */
  async send(
    method: string,
    url: string,
    init: { body?: string; headers?: Record<string, string> } = {}
  ): Promise<Answer> {
    const res = await fetch(url, { method, dispatcher: this.agent, ...init })
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, headers: res.headers as unknown as Headers, text, json }
  }

  async close(): Promise<void> {
    await this.agent.close()
  }
}

/** MSAL network module over undici, trusting the emulator through `dispatcher`. */
export class UndiciNetworkClient implements INetworkModule {
  constructor(private readonly dispatcher: Dispatcher) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options, timeout)
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options)
  }

  private async send<T>(
    method: 'GET' | 'POST',
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number
  ): Promise<NetworkResponse<T>> {
    const res = await fetch(url, {
      method,
      ...(options?.headers ? { headers: options.headers } : {}),
      ...(method === 'POST' && options?.body !== undefined ? { body: options.body } : {}),
      dispatcher: this.dispatcher,
      ...(timeout ? { signal: AbortSignal.timeout(timeout) } : {})
    })
    const text = await res.text()
    const headers: Record<string, string> = {}
    res.headers.forEach((value, key) => {
      headers[key] = value
    })
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON: MSAL gets the text
    }
    return { headers, body: body as T, status: res.status }
  }
}

/** Signs an RS256 JWT (for hand-made client assertions). */
export function signRs256(
  payload: Record<string, unknown>,
  privateKey: KeyLike,
  header: Record<string, unknown> = {}
): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${encode({ alg: 'RS256', typ: 'JWT', ...header })}.${encode(payload)}`
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
}

/** Decodes a JWT payload without verifying it. */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}
