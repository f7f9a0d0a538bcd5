import nock from 'nock';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { sessionRow } from './zitadelRows.js';

/**
 * For suites where nock stands in for ZITADEL: no real network but loopback (supertest's own server), a clean
 * slate before each test, and after each test a check that every ZITADEL call it announced was really made.
 */
export function useNockForZitadel(): void {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  beforeEach(() => nock.cleanAll());
  afterEach(() => {
    expect(nock.pendingMocks()).toEqual([]);
  });
}

/**
 * Stands in for ZITADEL confirming the login `loginWebhook(id)` announces: GetSession answers the session, created
 * just now for TEST_USER with a verified password (or as `row` says). Every trigger is read back before anything is
 * decided, so every enforcing test needs this first.
 */
export function nockConfirmedSession(
  baseUrl: string,
  id = 's-new',
  row: Record<string, unknown> = sessionRow(id, new Date().toISOString()),
): nock.Scope {
  return nock(baseUrl).get(`/v2/sessions/${id}`).reply(200, { session: row });
}
