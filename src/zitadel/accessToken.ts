/**
 * Where the bearer token for ZITADEL calls comes from. A PAT never changes; OAuth flows (JWT profile, client
 * credentials) fetch, cache and refresh. The token itself is only ever put into the Authorization header.
 */
export interface AccessTokenSource {
  getAccessToken(signal: AbortSignal): Promise<string>;
  /** ZITADEL refused this token (401). Returns true when a retry can get a fresh one. */
  invalidate(token: string): boolean;
}

/** A personal access token: fixed, so a 401 means it was revoked or lacks access, and retrying cannot help. */
export function personalAccessToken(token: string): AccessTokenSource {
  return {
    getAccessToken: () => Promise.resolve(token),
    invalidate: () => false,
  };
}
