/** Session rows and search answers shaped like ZITADEL's protojson, for nock-based tests. */

export const TEST_USER = '284021120958301001';

export function sessionRow(
  id: string,
  createdIso: string,
  options: { userId?: string; factors?: Record<string, unknown>; expirationDate?: string } = {},
) {
  return {
    id,
    creationDate: createdIso,
    changeDate: createdIso,
    factors: {
      user: { id: options.userId ?? TEST_USER, loginName: 'ada@example.com', verifiedAt: createdIso },
      ...(options.factors ?? { password: { verifiedAt: createdIso } }),
    },
    ...(options.expirationDate === undefined ? {} : { expirationDate: options.expirationDate }),
  };
}

/** What ZITADEL answers a session search: protojson omits zero values, so an empty one has no totalResult or sessions. */
export function searchAnswer(sessions: unknown[]) {
  return {
    details: sessions.length === 0 ? {} : { totalResult: String(sessions.length) },
    ...(sessions.length === 0 ? {} : { sessions }),
  };
}

export const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
