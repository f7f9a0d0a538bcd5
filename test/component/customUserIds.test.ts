import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { buildHarness, postWebhook } from '../support/harness.js';
import { nockConfirmedSession, useNockForZitadel } from '../support/nockZitadel.js';
import { createSessionResponse } from '../support/webhooks.js';
import { minutesAgo, searchAnswer, sessionRow } from '../support/zitadelRows.js';

const ZITADEL = 'https://zitadel.test';
const ORG = '284021120958300001';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

useNockForZitadel();

/** A row of `userId` in `ORG`, shaped like ZITADEL's. */
function rowOf(userId: string, id: string, createdIso: string) {
  const base = sessionRow(id, createdIso, { userId });
  return { ...base, factors: { ...base.factors, user: { ...base.factors.user, organizationId: ORG } } };
}

// Custom ids an admin may choose at AddHumanUser: each goes into URLs as one encoded path segment.
describe.each(['google-oauth2/1093', 'jose maria', 'jos\u00e9', '100%', 'a#b', 'a?x=1', '...'])(
  'a user whose custom id is %j',
  (userId) => {
    it('is enforced like any other: every URL carries the id encoded, the search body carries it as is', async () => {
      const { app } = buildHarness({
        CONCURRENT_SESSIONS: '1',
        COUNT_WHEN: 'signed-in',
        LIMIT_METADATA_KEY: 'session_limit',
      });
      const segment = encodeURIComponent(userId);
      const paths: string[] = [];
      let searchBody: unknown;
      nockConfirmedSession(ZITADEL, 's-new', rowOf(userId, 's-new', new Date().toISOString()));
      nock(ZITADEL)
        .post(`/v2/users/${segment}/metadata/search`)
        .reply(function () {
          paths.push(this.req.path);
          return [200, { metadata: [{ key: 'session_limit', value: b64('1') }] }];
        })
        .get(`/v2/users/${segment}/authentication_methods`)
        .reply(function () {
          paths.push(this.req.path);
          return [200, { authMethodTypes: ['AUTHENTICATION_METHOD_TYPE_PASSWORD'] }];
        })
        .get('/v2/settings/login')
        .query({ 'ctx.orgId': ORG })
        .reply(200, { settings: {} })
        .post('/v2/sessions/search', (body: unknown) => {
          searchBody = body;
          return true;
        })
        .reply(200, searchAnswer([rowOf(userId, 's-old', minutesAgo(30))]))
        .delete('/v2/sessions/s-old')
        .reply(200, { details: { changeDate: new Date().toISOString() } });

      const res = await postWebhook(
        app,
        createSessionResponse({ id: 's-new', userId, creationDate: new Date() }),
      );

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ outcome: 'enforced', userId, deleted: ['s-old'] });
      expect(paths.sort()).toEqual(
        [`/v2/users/${segment}/authentication_methods`, `/v2/users/${segment}/metadata/search`].sort(),
      );
      expect(searchBody).toMatchObject({ queries: [{ userIdQuery: { id: userId } }] });
    });
  },
);
