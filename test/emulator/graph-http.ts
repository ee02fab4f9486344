/**
 * Microsoft Graph's answer envelope: the headers every Graph response carries and the one error
 * shape it uses, `{"error":{"code","message","innerError":{date, request-id, client-request-id}}}`
 * (https://learn.microsoft.com/graph/errors).
 */
import { randomUUID } from 'node:crypto'
import type { EmulatorRequest, EmulatorResponse } from './http.js'

/** What Graph sends with a JSON entity or collection. */
const ODATA_CONTENT_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8'

/** The `WWW-Authenticate` Graph sends with a 401. */
export const GRAPH_WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'

/** Request ids of one answer: Graph echoes the client's `client-request-id`, else reuses its own id. */
function requestIds(req: EmulatorRequest): { requestId: string; clientRequestId: string } {
  const requestId = randomUUID()
  const sent = req.headers['client-request-id']
  return { requestId, clientRequestId: typeof sent === 'string' && sent !== '' ? sent : requestId }
}

function commonHeaders(ids: { requestId: string; clientRequestId: string }): Record<string, string> {
  return {
    'Cache-Control': 'no-cache',
    'Strict-Transport-Security': 'max-age=31536000',
    'request-id': ids.requestId,
    'client-request-id': ids.clientRequestId,
    'x-ms-ags-diagnostic': JSON.stringify({
      ServerInfo: { DataCenter: 'West Europe', Slice: 'E', Ring: '5', ScaleUnit: '000', RoleInstance: 'emulator' }
    })
  }
}

/** A successful JSON answer (OData). */
export function graphJson(
  status: number,
  body: unknown,
  req: EmulatorRequest,
  extra: Record<string, string> = {}
): EmulatorResponse {
  return {
    status,
    headers: {
      ...commonHeaders(requestIds(req)),
      'Content-Type': ODATA_CONTENT_TYPE,
      'OData-Version': '4.0',
      ...extra
    },
    body: JSON.stringify(body)
  }
}

/** An answer without a body (204 of DELETE). */
export function graphEmpty(status: number, req: EmulatorRequest): EmulatorResponse {
  return { status, headers: commonHeaders(requestIds(req)), body: '' }
}

/** A Graph error; `innerError.date` is the emulator's time without a zone, as Graph writes it. */
export function graphError(
  status: number,
  code: string,
  message: string,
  req: EmulatorRequest,
  now: Date,
  extra: Record<string, string> = {}
): EmulatorResponse {
  const ids = requestIds(req)
  const body = {
    error: {
      code,
      message,
      innerError: {
        date: now.toISOString().slice(0, 19),
        'request-id': ids.requestId,
        'client-request-id': ids.clientRequestId
      }
    }
  }
  return {
    status,
    headers: { ...commonHeaders(ids), 'Content-Type': 'application/json', ...extra },
    body: JSON.stringify(body)
  }
}

/** `Retry-After` when a number of seconds is given; Graph often throttles without one. */
export function retryAfter(seconds: number | undefined): Record<string, string> {
  return seconds === undefined ? {} : { 'Retry-After': String(seconds) }
}
