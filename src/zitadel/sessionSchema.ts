import { z } from 'zod';
import { AUTHENTICATION_FACTORS, type FactorName } from '../vocabulary.js';

// Only the fields we read are declared; zod drops the rest, so a new ZITADEL field cannot break us.
// Names follow protojson (camelCase) as served by the Session Service v2 REST gateway.
const verification = z.object({ verifiedAt: z.string().optional() });

export const sessionRowSchema = z.object({
  id: z.string().min(1),
  creationDate: z.string().optional(),
  changeDate: z.string().optional(),
  expirationDate: z.string().optional(),
  factors: z
    .object({
      user: z
        .object({
          id: z.string().optional(),
          loginName: z.string().optional(),
          displayName: z.string().optional(),
          organizationId: z.string().optional(),
          verifiedAt: z.string().optional(),
        })
        .optional(),
      password: verification.optional(),
      webAuthN: verification.extend({ userVerified: z.boolean().optional() }).optional(),
      intent: verification.optional(),
      totp: verification.optional(),
      otpSms: verification.optional(),
      otpEmail: verification.optional(),
      // Only newer releases report it; older ones simply omit the key.
      recoveryCode: verification.optional(),
    })
    .optional(),
  userAgent: z
    .object({
      fingerprintId: z.string().optional(),
      ip: z.string().optional(),
      description: z.string().optional(),
      // The request headers the login UI passed on (protojson map<string, {values}>); we read only the
      // user agent, to name the device on the "your devices" page. `.catch`: a header shaped unlike we expect
      // loses the header, never the row, so a stray value cannot stop the limiter from counting the session.
      header: z
        .record(z.string(), z.object({ values: z.array(z.string()).optional() }))
        .optional()
        .catch(undefined),
    })
    .optional(),
});

export type SessionRow = z.infer<typeof sessionRowSchema>;

export function verifiedFactorsOf(row: SessionRow): FactorName[] {
  const factors = row.factors;
  if (factors === undefined) return [];
  return AUTHENTICATION_FACTORS.filter((name) => factors[name]?.verifiedAt !== undefined);
}

/**
 * The session's User-Agent header as the login UI passed it on, or undefined. The header name is matched
 * case-insensitively (a UI may forward Go's canonical "User-Agent"), and its values are joined with "," because
 * Login V2 splits the header at every comma before storing it ("(KHTML, like Gecko)" becomes two values): see
 * apps/login/src/lib/fingerprint.ts getUserAgent.
 */
export function userAgentHeaderOf(row: SessionRow): string | undefined {
  const header = row.userAgent?.header;
  if (header === undefined) return undefined;
  for (const [name, entry] of Object.entries(header)) {
    if (name.toLowerCase() === 'user-agent' && entry.values !== undefined && entry.values.length > 0) {
      return entry.values.join(',');
    }
  }
  return undefined;
}

export const listSessionsResponseSchema = z.object({
  // `timestamp`: how far the sessions projection had got when it answered (v4; "now" on relational storage).
  details: z.object({ totalResult: z.string().optional(), timestamp: z.string().optional() }).optional(),
  sessions: z.array(sessionRowSchema).optional(),
});

export const getSessionResponseSchema = z.object({ session: sessionRowSchema });

export const listUsersResponseSchema = z.object({
  result: z.array(z.object({ userId: z.string().min(1) })).optional(),
});
