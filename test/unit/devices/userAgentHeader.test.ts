import { describe, expect, it } from 'vitest';
import { sessionRowSchema, userAgentHeaderOf } from '../../../src/zitadel/sessionSchema.js';

const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('the session row keeps the User-Agent header', () => {
  it("joins the values that Login V2 split at the header's commas", () => {
    const row = sessionRowSchema.parse({
      id: '1',
      userAgent: { header: { 'user-agent': { values: UA.split(',') } } },
    });
    expect(userAgentHeaderOf(row)).toBe(UA);
  });

  it('finds the header whatever its case, and keeps other headers out of the way', () => {
    const row = sessionRowSchema.parse({
      id: '1',
      userAgent: { header: { 'X-Forwarded-For': { values: ['10.0.0.1'] }, 'User-Agent': { values: [UA] } } },
    });
    expect(userAgentHeaderOf(row)).toBe(UA);
  });

  it('is undefined without a header, without the user agent in it, or with no values', () => {
    expect(userAgentHeaderOf(sessionRowSchema.parse({ id: '1' }))).toBeUndefined();
    expect(
      userAgentHeaderOf(sessionRowSchema.parse({ id: '1', userAgent: { ip: '1.2.3.4' } })),
    ).toBeUndefined();
    const other = sessionRowSchema.parse({ id: '1', userAgent: { header: { accept: { values: ['*/*'] } } } });
    expect(userAgentHeaderOf(other)).toBeUndefined();
    const empty = sessionRowSchema.parse({
      id: '1',
      userAgent: { header: { 'user-agent': { values: [] } } },
    });
    expect(userAgentHeaderOf(empty)).toBeUndefined();
  });

  it.each([
    ['a string', 'Mozilla/5.0'],
    ['values that are not strings', { 'user-agent': { values: [1, 2] } }],
    ['an array', [UA]],
  ])('drops a header that is %s but keeps the row', (_name, header) => {
    const row = sessionRowSchema.parse({
      id: '7',
      factors: { user: { id: 'u' } },
      userAgent: { fingerprintId: 'fp', header },
    });
    expect(row.id).toBe('7');
    expect(row.userAgent?.fingerprintId).toBe('fp');
    expect(userAgentHeaderOf(row)).toBeUndefined();
  });
});
