import type { InputSource } from '../../src/action/inputs.js'
import type { BranchFiles } from '../../src/branch/branch-files.js'
import { recordId, type AuditRecord } from '../../src/record/audit-record.js'
import type { SnapshotRow } from '../../src/record/columns.js'

/** A Power Apps launch with the characters that CSV and JSON must carry intact. */
export const launch: AuditRecord = {
  Id: 'E2A84675-8952-4D91-A2EA-4D89F310F1A7',
  CreationTime: '2026-11-20T23:59:59',
  RecordType: 256,
  Operation: 'LaunchPowerApp',
  Workload: 'PowerPlatform',
  UserId: 'José.Müller@contoso.com',
  UserType: 0,
  UserKey: '7ff1e0f1-e2a4-48a0-874e-34db43893df1',
  OrganizationId: '33333333-3333-3333-3333-333333333333',
  ResultStatus: 'Succeeded',
  ClientIP: '[fdfd::555]:12346',
  PropertyCollection: [
    { Name: 'powerplatform.analytics.resource.power_app.display_name', Value: 'Ñandú, "Pérez"\r\nline 2 李小龙' }
  ]
}

/**
 * The snapshot row of a parsed record, written the plain way (JSON.parse's objects, one
 * column each): the reference the blob reader's rows are checked against. `AuditData` is the
 * record's JSON in the key order it was served.
 */
export function referenceRow(record: AuditRecord, creationTime: string, id: string = recordId(record)): SnapshotRow {
  const cell = (value: unknown): string =>
    value === undefined || value === null
      ? ''
      : typeof value === 'string'
        ? value
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value)
  const columns = [
    'RecordType',
    'Operation',
    'Workload',
    'UserId',
    'UserType',
    'UserKey',
    'OrganizationId',
    'ResultStatus',
    'ObjectId',
    'ClientIP'
  ]
  return [id, creationTime, ...columns.map((column) => cell(record[column])), JSON.stringify(record)]
}

/**
 * A branch tip in memory. Files are streamed whole, or in chunks of `chunkBytes` as a download
 * arrives (a missing or empty file then streams no chunk at all).
 */
export function memoryTip(files: Map<string, Buffer>, chunkBytes?: number): BranchFiles {
  return {
    has: (path) => files.has(path),
    paths: () => files.keys(),
    size: (path) => files.get(path)?.byteLength,
    read: async (path) => files.get(path),
    readMany: async (paths) => new Map(paths.flatMap((path) => (files.has(path) ? [[path, files.get(path)!]] : []))),
    async *stream(path) {
      const bytes = files.get(path) ?? Buffer.alloc(0)
      if (chunkBytes === undefined) yield bytes
      else for (let at = 0; at < bytes.length; at += chunkBytes) yield bytes.subarray(at, at + chunkBytes)
    }
  }
}

/**
 * The inputs of a step as `readSettings` reads them: `inputs` over `base` (the ones every run
 * needs), the workflow's repository, and the values the action masked.
 */
export function inputSource(
  base: Readonly<Record<string, string>>,
  inputs: Readonly<Record<string, string>>,
  context: { currentRepository?: string } = { currentRepository: 'contoso/audit' }
): { input: InputSource; masked: string[] } {
  const masked: string[] = []
  const all: Record<string, string> = { ...base, ...inputs }
  const input: InputSource = {
    getInput: (name) => all[name] ?? '',
    setSecret: (value) => void masked.push(value),
    env: {},
    ...context
  }
  return { input, masked }
}
