/**
 * Subscription state per content type: start, stop and list as the Management Activity API
 * reference describes them (see this folder's README.md), with the 15-minute start cooldown.
 *
 * The start cooldown is kept per content type: clients such as Elastic's start all five types
 * in a row, which a tenant-wide cooldown would always refuse.
 */
import { CONTENT_TYPES, type ContentType } from './content-types.js'
import { af, type ApiError } from './errors.js'

/** What `subscriptions/list` shows for one content type. */
export interface SubscriptionView {
  contentType: ContentType
  status: 'enabled' | 'disabled'
  webhook: null
}

interface State {
  status: 'enabled' | 'disabled'
  disabledBy?: string
  /** Time of the last start that changed anything; drives the cooldown. */
  lastStart?: number
  /** `[from, to)` periods with the subscription enabled; `to` undefined while it still is. */
  enabledPeriods: { from: number; to?: number }[]
}

/** Configuration the state machine needs. */
export interface SubscriptionRules {
  tenantId: string
  now: () => Date
  cooldownMs: number
  auditDisabled: boolean
}

/** Per-tenant subscription state with the service's start/stop rules. */
export class Subscriptions {
  private readonly states = new Map<ContentType, State>()

  constructor(private readonly rules: SubscriptionRules) {}

  /** `POST subscriptions/start`. */
  start(contentType: ContentType): SubscriptionView | ApiError {
    if (this.rules.auditDisabled) return af.auditDisabled(this.rules.tenantId, contentType)
    const now = this.rules.now().getTime()
    const state = this.states.get(contentType)
    if (state?.lastStart !== undefined && now - state.lastStart < this.rules.cooldownMs) {
      return af.startCooldown(state.lastStart + this.rules.cooldownMs - now)
    }
    if (state?.status === 'enabled') return af.alreadyEnabled()
    this.setEnabled(contentType, now)
    const started = this.states.get(contentType)
    if (started) started.lastStart = now
    return view(contentType, 'enabled')
  }

  /** `POST subscriptions/stop`; never throttled. */
  stop(contentType: ContentType): ApiError | undefined {
    const state = this.states.get(contentType)
    if (!state) return af.noSubscription()
    this.setDisabled(state, this.rules.now().getTime())
    return undefined
  }

  /** `GET subscriptions/list`: every content type ever started, in a stable order. */
  list(): SubscriptionView[] {
    return CONTENT_TYPES.flatMap((ct) => {
      const state = this.states.get(ct)
      return state ? [view(ct, state.status)] : []
    })
  }

  /** The error `/content` answers for this content type, if any (AF20022/AF20023). */
  checkReadable(contentType: ContentType): ApiError | undefined {
    const state = this.states.get(contentType)
    if (!state) return af.noSubscription()
    if (state.status === 'disabled') return af.subscriptionDisabled(state.disabledBy)
    return undefined
  }

  /** Whether the subscription was enabled at `at` (for "content made while stopped is lost"). */
  wasEnabledAt(contentType: ContentType, at: Date): boolean {
    const t = at.getTime()
    return (this.states.get(contentType)?.enabledPeriods ?? []).some(
      (p) => p.from <= t && (p.to === undefined || t < p.to)
    )
  }

  /**
   * Test control: enable without a start call (no cooldown). With `since`, the subscription
   * counts as enabled from then on, so earlier seeded content is readable even when the
   * emulator enforces "content made while stopped is never listable".
   */
  enable(contentType: ContentType, since?: Date): void {
    this.setEnabled(contentType, (since ?? this.rules.now()).getTime())
  }

  /** Test control: the tenant admin (or the service) disabled the subscription. */
  disableByAdmin(contentType: ContentType, by?: string): void {
    const state = this.states.get(contentType) ?? { status: 'enabled', enabledPeriods: [] }
    this.states.set(contentType, state)
    this.setDisabled(state, this.rules.now().getTime())
    if (by !== undefined) state.disabledBy = by
  }

  /** Test control: unified audit logging turned off (or on again) for the tenant. */
  setAuditDisabled(disabled: boolean): void {
    this.rules.auditDisabled = disabled
  }

  /** Test control: forget everything about `contentType` (or all types). */
  reset(contentType?: ContentType): void {
    if (contentType) this.states.delete(contentType)
    else this.states.clear()
  }

  /** Test control: the current state, for assertions. */
  get(contentType: ContentType): SubscriptionView | undefined {
    const state = this.states.get(contentType)
    return state ? view(contentType, state.status) : undefined
  }

  private setEnabled(contentType: ContentType, at: number): void {
    const state = this.states.get(contentType) ?? { status: 'disabled', enabledPeriods: [] }
    this.states.set(contentType, state)
    if (state.status === 'enabled' && state.enabledPeriods.length > 0) return
    state.status = 'enabled'
    delete state.disabledBy
    state.enabledPeriods.push({ from: at })
  }

  private setDisabled(state: State, at: number): void {
    const open = state.enabledPeriods.at(-1)
    if (open && open.to === undefined) open.to = at
    state.status = 'disabled'
  }
}

function view(contentType: ContentType, status: 'enabled' | 'disabled'): SubscriptionView {
  return { contentType, status, webhook: null }
}
