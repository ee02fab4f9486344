import { execFile, execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { unsupportedNode } from '../../src/action/node-version.js'

const exec = promisify(execFile)
/** A Node older than 24 on this machine (Debian's, say), to start the bundle with. */
const OLDER_NODE = ['/usr/bin/node', '/usr/local/bin/node']
  .filter((path) => existsSync(path))
  .find((path) => unsupportedNode(execFileSync(path, ['--version'], { encoding: 'utf8' }).trim()) !== undefined)

describe('the Node that runs the action', () => {
  it('is 24 or later; an older one is named, with what to use instead', () => {
    expect(unsupportedNode('v24.0.0')).toBeUndefined()
    expect(unsupportedNode('v25.1.2')).toBeUndefined()
    expect(unsupportedNode('v20.20.2')).toMatch(
      /needs Node 24 or later; this is Node v20\.20\.2\..*node_modules\/\.bin\/node/
    )
    expect(unsupportedNode('v18.0.0')).toMatch(/Node v18\.0\.0/)
  })

  it.skipIf(!OLDER_NODE)(
    'stops the bundle on an older Node with that message, as an error annotation, before loading it',
    async () => {
      const { stdout: version } = await exec(OLDER_NODE!, ['--version'])
      expect(unsupportedNode(version.trim())).toMatch(/needs Node 24/)
      const result = await exec(OLDER_NODE!, [resolve(import.meta.dirname, '../../dist/index.js')], { env: {} }).catch(
        (error: { code: number; stdout: string; stderr: string }) => error
      )
      expect('code' in result ? result.code : 0).toBe(1)
      expect(result.stdout).toBe(`::error::${unsupportedNode(version.trim())}\n`)
      expect(result.stdout).toMatch(/^::error::m365-audit-sync needs Node 24 or later; this is Node v\d+\./)
      expect(result.stderr).toBe('')
    }
  )
})
