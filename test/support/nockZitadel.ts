import nock from 'nock';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';

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
