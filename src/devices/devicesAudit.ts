import type { LogSink } from '../logging/logger.js';
import type { ShownDevice } from './deviceList.js';
import type { SignOutResult } from './devicesService.js';

export type DevicesAction = 'login' | 'ticket_opened' | 'view' | 'sign_out' | 'sign_out_others';
export type DevicesVia = 'oidc' | 'ticket' | 'api';

/** One thing a user did on the page or the API, as the audit log records it. */
export interface DevicesAuditRecord {
  readonly action: DevicesAction;
  readonly via: DevicesVia;
  readonly userId: string;
  /** `ok`, `partly_failed`, or why it was refused (`not_at_limit`, `device_not_found`, …). */
  readonly outcome: string;
  /** The devices signed out, by what the user sees of them. */
  readonly devices?: readonly ShownDevice[];
  readonly deleted?: number;
  readonly failed?: number;
}

export interface DevicesAudit {
  /** Audited and counted: sign-ins to the page, tickets opened, sign-outs. */
  record(record: DevicesAuditRecord): void;
  /** A sign-out's record: what was signed out and deleted, or why it was refused. */
  signOut(
    action: 'sign_out' | 'sign_out_others',
    viewer: { readonly userId: string; readonly via: DevicesVia },
    result: SignOutResult,
  ): void;
  /** Counted only: views, and refusals before anyone is known (a bad ticket, a failed sign-in). */
  counted(action: DevicesAction, via: DevicesVia, outcome: string): void;
}

/**
 * The page's and the API's audit records (`"log":"audit"`, `"msg":"devices action"`) and their counter. Built
 * from a fixed list of fields: a device is named by its ref and what the user sees (browser, system), never by a
 * session id, a token, a ticket or a cookie.
 */
export function devicesAudit(options: {
  readonly sink: LogSink | undefined;
  readonly count: (action: DevicesAction, via: DevicesVia, outcome: string) => void;
  readonly now: () => number;
}): DevicesAudit {
  const { sink, count, now } = options;
  const audit: DevicesAudit = {
    signOut(action, { userId, via }, result) {
      if (result.outcome !== 'signed_out') {
        audit.record({ action, via, userId, outcome: result.outcome });
        return;
      }
      audit.record({
        action,
        via,
        userId,
        outcome: result.failed === 0 ? 'ok' : 'partly_failed',
        devices: result.devices,
        deleted: result.deleted,
        failed: result.failed,
      });
    },
    record(record) {
      count(record.action, record.via, record.outcome);
      sink?.(
        JSON.stringify({
          time: new Date(now()).toISOString(),
          level: record.outcome === 'ok' ? 'info' : 'warn',
          log: 'audit',
          msg: 'devices action',
          action: record.action,
          via: record.via,
          userId: record.userId,
          outcome: record.outcome,
          devices: record.devices?.map((device) => ({
            ref: device.ref,
            browser: device.browser,
            system: device.system,
            sessions: device.sessionCount,
          })),
          deleted: record.deleted,
          failed: record.failed,
        }),
      );
    },
    counted: count,
  };
  return audit;
}
