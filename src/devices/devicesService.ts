import type { Config } from '../vocabulary.js';
import { enforceUserLimit } from '../enforcement/enforceUserLimit.js';
import type { UserPolicyReader } from '../enforcement/userPolicy.js';
import type { Logger } from '../logging/logger.js';
import { limitAsNumber } from '../policy/sessionLimit.js';
import { mapWithConcurrency } from '../util/mapWithConcurrency.js';
import type { ZitadelLimiterApi } from '../zitadel/client.js';
import type { Deadline } from '../zitadel/deadline.js';
import { devicesToSignOutOthers, listDevices, type ShownDevice } from './deviceList.js';

/** Who is looking at the devices, and how they proved it (ZITADEL sign-in, a refusal ticket, an access token). */
export interface DeviceViewer {
  readonly userId: string;
  readonly via: 'oidc' | 'ticket' | 'api';
  /** The ZITADEL session of the sign-in that opened the page (the ID token's `sid`): its device is "this device". */
  readonly sessionId?: string | undefined;
  /** The refused attempt's browser (from a ticket): the device a ticket holder is on. */
  readonly fingerprintId?: string | undefined;
}

/** Where the user stands against their limit: what a ticket may do depends on it. */
export interface LimitStanding {
  readonly limit: number | 'unlimited';
  /** A new sign-in from the viewer's browser would be refused now (deny-new's own decision, dry run). */
  readonly atLimit: boolean;
}

export type SignOutResult =
  | {
      readonly outcome: 'signed_out';
      readonly devices: readonly ShownDevice[];
      readonly deleted: number;
      readonly failed: number;
    }
  | { readonly outcome: 'device_not_found' }
  /** A ticket ends devices only while its user is at or over the limit. */
  | { readonly outcome: 'not_at_limit' };

export type SignedOut = Extract<SignOutResult, { readonly outcome: 'signed_out' }>;

export interface SignOutProblem {
  readonly status: number;
  readonly code: 'device_not_found' | 'not_at_limit' | 'zitadel_unavailable';
}

/** A sign-out that fully happened, or how one that did not is answered (its status and code). */
export function signOutAnswer(
  result: SignOutResult,
): { readonly done: SignedOut } | { readonly problem: SignOutProblem } {
  if (result.outcome === 'device_not_found') return { problem: { status: 404, code: result.outcome } };
  if (result.outcome === 'not_at_limit') return { problem: { status: 403, code: result.outcome } };
  // Some deletions did not go through in time: never reported as done; the user may try again.
  if (result.failed > 0) return { problem: { status: 502, code: 'zitadel_unavailable' } };
  return { done: result };
}

export interface DevicesService {
  list(viewer: DeviceViewer, deadline: Deadline): Promise<readonly ShownDevice[]>;
  /** Only asked for ticket viewers (a signed-in user may always end their own devices). */
  standing(viewer: DeviceViewer, deadline: Deadline): Promise<LimitStanding>;
  signOut(
    viewer: DeviceViewer,
    target: { readonly ref: string } | 'others',
    deadline: Deadline,
  ): Promise<SignOutResult>;
}

export interface DevicesServiceDeps {
  readonly config: Config;
  readonly zitadel: ZitadelLimiterApi;
  readonly policies: UserPolicyReader;
  /** The opaque reference of a device (deviceRef.ts): what the page and the API name a device by. */
  readonly refOf: (userId: string, deviceKey: string) => string;
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * The use cases behind the page and the API: list the viewer's devices, and sign one (or all others) out. The
 * listing is read again at every request — a device reference is only ever looked up in the user's own current
 * sessions, so a forged or stale reference finds nothing, and no other user's session can be named.
 */
export function createDevicesService(deps: DevicesServiceDeps): DevicesService {
  const { config, zitadel, now } = deps;

  /**
   * Brings ZITADEL's sessions projection up to date (GetSession does before it answers; see ZitadelSessionApi), so
   * the search that follows sees a sign-in or a sign-out just committed. Best effort: the search goes on anyway.
   */
  const catchUp = (sessionId: string | undefined, deadline: Deadline) =>
    sessionId === undefined
      ? Promise.resolve()
      : zitadel.getSession({ sessionId }, deadline).then(
          () => undefined,
          () => undefined,
        );

  async function devicesOf(viewer: DeviceViewer, deadline: Deadline): Promise<ShownDevice[]> {
    // The sign-in that opened the page may be a second old: without this the page could miss its own device.
    await catchUp(viewer.sessionId, deadline);
    const { sessions } = await zitadel.listUserSessions({ userId: viewer.userId }, deadline);
    return listDevices({
      rows: sessions,
      userId: viewer.userId,
      countBy: config.countBy,
      currentSessionId: viewer.sessionId,
      currentFingerprintId: viewer.fingerprintId,
      nowMs: now(),
      refOf: (deviceKey) => deps.refOf(viewer.userId, deviceKey),
    });
  }

  async function standing(viewer: DeviceViewer, deadline: Deadline): Promise<LimitStanding> {
    // Deny-new's own decision for a sign-in from the viewer's browser, as a request condition in a dry run: it
    // never deletes anything, and it counts exactly as the webhook does (sign-in rule, places that aged out).
    const report = await enforceUserLimit({
      userId: viewer.userId,
      trigger: { incoming: true, id: undefined, fingerprintId: viewer.fingerprintId },
      settings: { ...config, limitStrategy: 'deny-new', dryRun: true },
      zitadel,
      policies: deps.policies,
      deadline,
      nowMs: now(),
      logger: deps.logger,
      now,
    });
    const limit = limitAsNumber(report.limit);
    return {
      limit: Number.isFinite(limit) ? limit : 'unlimited',
      atLimit: report.outcome === 'denied',
    };
  }

  // A ticket's "still at the limit?" and its deletion must not interleave with another of the same user's: two
  // POSTs at once would both pass the check, and end two devices. So they run one after the other, per user, in
  // this process. (Replicas do not share this; two replicas hit at the same instant can still each end one.)
  const ticketQueues = new Map<string, Promise<unknown>>();
  function oneAtATime<T>(userId: string, work: () => Promise<T>): Promise<T> {
    const before = ticketQueues.get(userId) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    ticketQueues.set(userId, settled);
    void settled.then(() => {
      if (ticketQueues.get(userId) === settled) ticketQueues.delete(userId);
    });
    return run;
  }

  function signOut(
    viewer: DeviceViewer,
    target: { readonly ref: string } | 'others',
    deadline: Deadline,
  ): Promise<SignOutResult> {
    if (viewer.via !== 'ticket') return signOutNow(viewer, target, deadline);
    return oneAtATime(viewer.userId, async () =>
      (await standing(viewer, deadline)).atLimit
        ? signOutNow(viewer, target, deadline)
        : { outcome: 'not_at_limit' as const },
    );
  }

  async function signOutNow(
    viewer: DeviceViewer,
    target: { readonly ref: string } | 'others',
    deadline: Deadline,
  ): Promise<SignOutResult> {
    const devices = await devicesOf(viewer, deadline);
    const chosen =
      target === 'others'
        ? devicesToSignOutOthers(devices)
        : devices.filter((device) => device.ref === target.ref);
    if (chosen.length === 0) return { outcome: 'device_not_found' };
    const sessionIds = chosen.flatMap((device) => device.sessionIds);
    const results = await mapWithConcurrency(sessionIds, config.deleteConcurrency, (sessionId) =>
      zitadel.deleteSession({ sessionId }, deadline),
    );
    const failed = results.filter((result) => result.status !== 'fulfilled').length;
    // So that the page the browser is sent back to no longer lists what was just signed out.
    await catchUp(sessionIds[0], deadline);
    return { outcome: 'signed_out', devices: chosen, deleted: sessionIds.length - failed, failed };
  }

  return { list: devicesOf, standing, signOut };
}
