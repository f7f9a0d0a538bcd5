// Refuses state-changing requests that another site made the user's browser send (CSRF), as a second line beside
// the CSRF token in the forms and SameSite=Lax on the cookie: if either of those ever slips, this still holds.
// A pure function of the request's method and headers and the origin the page is served from.

export interface RequestLike {
  readonly method: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

// Methods that only read: they are never refused here (a link from a mail or from ZITADEL must open the page).
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function single(value: string | string[] | undefined): string | undefined {
  // A repeated header is no browser's doing: take it as a value we cannot trust (it never equals an origin).
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * True when an unsafe request (POST, …) did not come from the devices page's own origin:
 * - `Sec-Fetch-Site` is present and is not `same-origin` (browsers set it and pages cannot forge it); when it is
 *   present it decides alone, because the page's `Referrer-Policy: no-referrer` makes Chromium send
 *   `Origin: null` on its own same-origin form POSTs (seen in test/browser/devicesPage.browser.ts), or
 * - without it, `Origin` is present and is not `expectedOrigin` (the origin of DEVICES_PUBLIC_URL; `null`
 *   included), or
 * - both are absent. Every current browser sends at least one of them on a form POST; a browser too old to send
 *   either is refused for POSTs rather than trusted blindly. It can still view the page, which is all GET.
 * Scripts and non-browser clients (the API, with its bearer token) are not what this guards.
 */
export function isCrossSiteRequest(request: RequestLike, expectedOrigin: string): boolean {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return false;
  const fetchSite = single(request.headers['sec-fetch-site']);
  const origin = single(request.headers['origin']);
  if (fetchSite === undefined && origin === undefined) return true;
  if (fetchSite !== undefined) return fetchSite.trim().toLowerCase() !== 'same-origin';
  if (origin !== undefined && origin.trim().toLowerCase() !== expectedOrigin.toLowerCase()) return true;
  return false;
}
