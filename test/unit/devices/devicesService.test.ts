import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createDevicesService } from '../../../src/devices/devicesService.js';
import { createUserPolicyReader } from '../../../src/enforcement/userPolicy.js';
import { createLogger } from '../../../src/logging/logger.js';
import type { SessionRow } from '../../../src/zitadel/sessionSchema.js';
import { deadlineIn } from '../../../src/zitadel/deadline.js';
import { createMemoryZitadel } from '../../support/memoryZitadelApi.js';
import { minutesAgo, sessionRow, TEST_USER } from '../../support/zitadelRows.js';

/** The use cases behind the page and the API, on the in-memory ZITADEL: no HTTP, no clock but the rows' dates. */

const config = loadConfig({
  INSTANCE_URL: 'https://zitadel.test',
  PAT: 'pat',
  SIGNING_KEY: 'signing-key-for-the-service-tests',
  LIMIT_STRATEGY: 'deny-new',
  CONCURRENT_SESSIONS: '2',
  COUNT_WHEN: 'any-factor',
});

function serviceWith(rows: SessionRow[]) {
  const memory = createMemoryZitadel({ sessions: rows });
  const service = createDevicesService({
    config,
    zitadel: memory.api,
    policies: createUserPolicyReader({ api: memory.api, settings: config, now: Date.now }),
    refOf: (userId, deviceKey) => `${userId}:${deviceKey}`.replace(/[^A-Za-z0-9]/g, '').slice(-22),
    logger: createLogger('silent', () => undefined),
    now: Date.now,
  });
  return { memory, service };
}

const withFingerprint = (row: ReturnType<typeof sessionRow>, fingerprintId: string): SessionRow => ({
  ...row,
  userAgent: { fingerprintId },
});

describe('devices service: tickets', () => {
  it('two ticket sign-outs at once end one device: the second sees the user under the limit', async () => {
    const { memory, service } = serviceWith([
      withFingerprint(sessionRow('1', minutesAgo(30)), 'fp-laptop'),
      withFingerprint(sessionRow('2', minutesAgo(20)), 'fp-phone'),
    ]);
    const viewer = { userId: TEST_USER, via: 'ticket' as const };
    const devices = await service.list(viewer, deadlineIn(5_000));
    expect(devices).toHaveLength(2);
    const [first, second] = devices.map((device) => ({ ref: device.ref }));
    const results = await Promise.all([
      service.signOut(viewer, first!, deadlineIn(5_000)),
      service.signOut(viewer, second!, deadlineIn(5_000)),
    ]);
    expect(results.map((result) => result.outcome).sort()).toEqual(['not_at_limit', 'signed_out']);
    expect(memory.deleteCalls()).toHaveLength(1);
  });

  it('a signed-in user (not a ticket) may end devices whatever the count', async () => {
    const { memory, service } = serviceWith([withFingerprint(sessionRow('1', minutesAgo(30)), 'fp-laptop')]);
    const viewer = { userId: TEST_USER, via: 'oidc' as const };
    const [device] = await service.list(viewer, deadlineIn(5_000));
    const result = await service.signOut(viewer, { ref: device!.ref }, deadlineIn(5_000));
    expect(result.outcome).toBe('signed_out');
    expect(memory.deleteCalls()).toEqual(['1']);
  });

  it("never names another user's session, even when the search returns it", async () => {
    const { memory, service } = serviceWith([
      withFingerprint(sessionRow('1', minutesAgo(30)), 'fp-laptop'),
      withFingerprint(sessionRow('9', minutesAgo(10), { userId: 'someone-else' }), 'fp-laptop'),
    ]);
    const viewer = { userId: TEST_USER, via: 'oidc' as const };
    const result = await service.signOut(viewer, 'others', deadlineIn(5_000));
    expect(result.outcome).toBe('signed_out');
    expect(memory.deleteCalls()).not.toContain('9');
  });
});
