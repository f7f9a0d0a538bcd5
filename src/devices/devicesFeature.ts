import type { Router } from 'express';
import type { Config, DevicesConfig } from '../vocabulary.js';
import type { EnforcementReport } from '../enforcement/outcome.js';
import { createUserPolicyReader } from '../enforcement/userPolicy.js';
import type { Logger, LogSink } from '../logging/logger.js';
import type { LimiterMetrics } from '../metrics/limiterMetrics.js';
import type { ZitadelLimiterApi } from '../zitadel/client.js';
import { devicesApiRoutes } from './devicesApi.js';
import { devicesAudit } from './devicesAudit.js';
import { createDevicesOidc, type DevicesOidc } from '../zitadel/devicesOidc.js';
import { devicesPageRoutes } from './devicesRoutes.js';
import { createDevicesService } from './devicesService.js';
import { createDeviceRefs } from './deviceRef.js';
import { createKeyRing } from './keyRing.js';
import { issueTicket } from './tickets.js';

export interface DevicesFeature {
  /** Mounted at `/devices`. */
  readonly page: Router;
  /** Mounted at `/api/devices`. */
  readonly api: Router;
  /** The link a deny-new refusal carries: the page, opened for the refused user by a signed ticket. */
  refusalLink(report: EnforcementReport): Promise<string | undefined>;
}

export interface DevicesFeatureDeps {
  readonly config: Config & { readonly devices: DevicesConfig };
  readonly zitadel: ZitadelLimiterApi;
  readonly metrics: LimiterMetrics;
  readonly logger: Logger;
  readonly auditSink: LogSink | undefined;
  readonly now: () => number;
  /** The OIDC side; omit for the instance's own (openid-client against INSTANCE_URL). */
  readonly oidc?: DevicesOidc;
}

/** The "your devices" page, its API and its refusal tickets, built from the configuration (on only when set). */
export function createDevicesFeature(deps: DevicesFeatureDeps): DevicesFeature {
  const { config, now, logger } = deps;
  const devices = config.devices;
  const ring = createKeyRing(devices.keys);
  const refs = createDeviceRefs(devices.keys[0] ?? '');
  const oidc =
    deps.oidc ??
    createDevicesOidc({
      instanceUrl: config.instanceUrl,
      clientId: devices.clientId,
      clientSecret: devices.clientSecret,
      redirectUri: `${devices.publicUrl}/devices/callback`,
      timeoutMs: config.zitadelTimeoutMs,
    });
  const audit = devicesAudit({
    sink: deps.auditSink,
    count: (action, via, outcome) => deps.metrics.devicesAction(action, via, outcome),
    now,
  });
  const service = createDevicesService({
    config,
    zitadel: deps.zitadel,
    policies: createUserPolicyReader({ api: deps.zitadel, settings: config, now }),
    refOf: refs,
    logger,
    now,
  });
  const common = { service, oidc, audit, deadlineMs: config.enforcementDeadlineMs, now, logger };
  return {
    page: devicesPageRoutes({ ...common, devices, ring }),
    api: devicesApiRoutes(common),
    async refusalLink(report) {
      if (report.sessionId === undefined) return undefined;
      try {
        const ticket = await issueTicket(
          ring,
          { userId: report.userId, attemptSessionId: report.sessionId },
          devices.ticketTtlMs,
          now(),
        );
        return `${devices.publicUrl}/devices/ticket?t=${encodeURIComponent(ticket)}`;
      } catch (error) {
        logger.warn('could not make the refusal ticket; the refusal goes without a link', {
          error: String(error),
        });
        return undefined;
      }
    },
  };
}
