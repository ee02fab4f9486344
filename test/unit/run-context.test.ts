import { describe, expect, it } from 'vitest'
import { isGhesUrl, readRunContext, serverUrlOfApi, type ActionsContext } from '../../src/action/run-context.js'
import { actionsRuntime } from '../../src/action/runtime.js'

/** A stand-in for @actions/github's context, which reads the process's environment once. */
function actionsContext(fields: Partial<Omit<ActionsContext, 'repo'>> & { repository?: string } = {}): ActionsContext {
  return {
    serverUrl: fields.serverUrl ?? 'https://github.com',
    apiUrl: fields.apiUrl ?? 'https://api.github.com',
    runId: fields.runId ?? 4242,
    get repo() {
      if (!fields.repository)
        throw new Error("context.repo requires a GITHUB_REPOSITORY environment variable like 'owner/repo'")
      const [owner = '', repo = ''] = fields.repository.split('/')
      return { owner, repo }
    }
  }
}

describe('readRunContext', () => {
  it('takes repository, run link, URLs and workflow file from the context of a github.com run', () => {
    const context = readRunContext(actionsContext({ repository: 'contoso/audit' }), {
      GITHUB_WORKFLOW_REF: 'contoso/audit/.github/workflows/audit-sync.yml@refs/heads/main',
      GITHUB_WORKSPACE: '/home/runner/work/audit/audit'
    })
    expect(context).toEqual({
      repository: 'contoso/audit',
      serverUrl: 'https://github.com',
      apiUrl: 'https://api.github.com',
      runUrl: 'https://github.com/contoso/audit/actions/runs/4242',
      workflowFile: 'audit-sync.yml',
      isGhes: false,
      workspace: '/home/runner/work/audit/audit'
    })
  })

  it('knows a GitHub Enterprise Server run by its host and links there', () => {
    const context = readRunContext(
      actionsContext({
        repository: 'it/audit',
        serverUrl: 'https://ghes.contoso.com/',
        apiUrl: 'https://ghes.contoso.com/api/v3/',
        runId: 7
      }),
      {}
    )
    expect(context).toMatchObject({
      serverUrl: 'https://ghes.contoso.com',
      apiUrl: 'https://ghes.contoso.com/api/v3',
      runUrl: 'https://ghes.contoso.com/it/audit/actions/runs/7',
      workflowFile: undefined,
      isGhes: true,
      // Outside a runner, import patterns are resolved from the current folder.
      workspace: process.cwd()
    })
  })

  it('leaves out what a run outside a workflow does not know, instead of failing', () => {
    // @actions/github's context: runId NaN without GITHUB_RUN_ID, and `repo` throws without GITHUB_REPOSITORY.
    const context = readRunContext(actionsContext({ runId: Number.NaN }), { GITHUB_WORKFLOW_REF: '' })
    expect(context).toMatchObject({ repository: undefined, runUrl: undefined, workflowFile: undefined })
  })

  it("reads the runner's context through the action's runtime", () => {
    const runtime = actionsRuntime()
    expect(readRunContext(runtime.context, runtime.env).apiUrl).toMatch(/^https?:\/\//)
  })
})

describe('isGhesUrl', () => {
  it.each([
    ['https://github.com', false],
    ['https://GitHub.com/', false],
    ['https://octo-corp.ghe.com', false],
    ['https://ghes.contoso.com', true],
    ['http://127.0.0.1:3000', true],
    ['not a url', false]
  ])('%s → %s', (url, expected) => {
    expect(isGhesUrl(url)).toBe(expected)
  })
})

describe('serverUrlOfApi', () => {
  it.each([
    ['https://api.github.com', 'https://github.com'],
    ['https://api.github.com/', 'https://github.com'],
    ['https://api.octo-corp.ghe.com', 'https://octo-corp.ghe.com'],
    ['https://ghes.contoso.com/api/v3', 'https://ghes.contoso.com'],
    ['https://ghes.contoso.com/github/api/v3/', 'https://ghes.contoso.com/github'],
    ['http://127.0.0.1:3000', undefined],
    ['https://api.example.com', undefined]
  ])('%s → %s', (api, server) => {
    expect(serverUrlOfApi(api)).toBe(server)
  })
})
