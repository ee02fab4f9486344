import * as core from '@actions/core'
import { context as actionsContext } from '@actions/github'
import type { ActionsContext } from './run-context.js'
import { asLogText } from './log-text.js'

/**
 * Everything the action says to the runner and asks of it, in one small port: the composition
 * root (main.ts) is the only caller, and nothing below it reaches @actions/core. Tests pass a
 * port of their own and read what was said.
 */
export interface ActionPort {
  /** An input's value as the workflow gave it ('' when not set). */
  getInput(name: string): string
  /** Hides a value in every later line of the log. */
  setSecret(value: string): void
  /** GitHub's OIDC ID token for an audience (needs `permissions: id-token: write`). */
  getIDToken(audience: string): Promise<string>
  debug(message: string): void
  info(message: string): void
  notice(message: string): void
  warning(message: string, title?: string): void
  error(message: string, title?: string): void
  /** Runs `work` inside a collapsible group of the log. */
  group<T>(name: string, work: () => Promise<T>): Promise<T>
  setOutput(name: string, value: string | number): void
  /** Appends HTML to the job summary (the runner renders it; local runs may have none). */
  appendSummary(html: string): Promise<void>
  /** Fails the step with a message (the last line of the log says why). */
  setFailed(message: string): void
}

/** The world a run starts from: the runner's port, its environment, the workflow's context, a clock. */
export interface Runtime {
  port: ActionPort
  env: Readonly<Record<string, string | undefined>>
  /** The workflow run's context (@actions/github reads it from the runner's variables). */
  context: ActionsContext
  now: () => Date
}

/** The runtime of a step on a GitHub Actions runner. */
export function actionsRuntime(): Runtime {
  return { port: actionsPort(process.env), env: process.env, context: actionsContext, now: () => new Date() }
}

/** The port over @actions/core. */
function actionsPort(env: Readonly<Record<string, string | undefined>>): ActionPort {
  return {
    getInput: (name) => core.getInput(name),
    setSecret: (value) => core.setSecret(value),
    getIDToken: (audience) => core.getIDToken(audience),
    debug: (message) => core.debug(message),
    // Text from outside reaches the log through here: it must not become a workflow command.
    info: (message) => core.info(asLogText(message)),
    notice: (message) => core.notice(message),
    warning: (message, title) => core.warning(message, title === undefined ? {} : { title }),
    error: (message, title) => core.error(message, title === undefined ? {} : { title }),
    group: (name, work) => core.group(name, work),
    setOutput: (name, value) => core.setOutput(name, value),
    appendSummary: async (html) => {
      // Local runs (and some runners) have no summary file: core would throw.
      if (!env.GITHUB_STEP_SUMMARY) return
      await core.summary.addRaw(html).write()
    },
    setFailed: (message) => core.setFailed(message)
  }
}
