// Set-Cookie and Cookie headers for the devices page, written by hand: two cookies with fixed attributes do not need
// a library, and one place decides the attributes so no route can forget HttpOnly or Secure.

export interface CookieOptions {
  /** The path prefix the browser sends the cookie to: the devices page's, never `/`. */
  readonly path: string;
  readonly maxAgeSeconds: number;
  /** True in production; false only for plain-http loopback development (DEVICES_PUBLIC_URL http://localhost…). */
  readonly secure: boolean;
}

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
// RFC 6265 cookie-octets, which covers our base64url tokens and their dots.
const VALUE_PATTERN = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const PATH_PATTERN = /^\/[\x21-\x3A\x3C-\x7E]*$/;
// A browser sends a few KB at most; a longer header is not worth scanning for our cookie.
const MAX_COOKIE_HEADER_LENGTH = 16 * 1024;

function attributes(path: string, maxAgeSeconds: number, secure: boolean): string {
  if (!PATH_PATTERN.test(path)) throw new TypeError('cookie path must start with / and hold no ; or spaces');
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0)
    throw new RangeError('cookie Max-Age must be a whole number of seconds');
  // SameSite=Lax, not Strict: the OIDC callback is a top-level navigation coming from ZITADEL's origin, and so is the
  // redirect to the page after it; Strict would withhold the login-state cookie there and the login could never end.
  // Lax still withholds both cookies from cross-site POSTs, the requests that change something.
  return `; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly${secure ? '; Secure' : ''}; SameSite=Lax`;
}

export function cookieHeader(name: string, value: string, options: CookieOptions): string {
  if (!NAME_PATTERN.test(name)) throw new TypeError('cookie name must be a plain token');
  if (!VALUE_PATTERN.test(value)) throw new TypeError('cookie value holds characters a cookie cannot carry');
  return `${name}=${value}${attributes(options.path, options.maxAgeSeconds, options.secure)}`;
}

/** A Set-Cookie header that makes the browser drop the cookie (same name and path as when it was set). */
export function clearCookieHeader(name: string, path: string, secure = true): string {
  if (!NAME_PATTERN.test(name)) throw new TypeError('cookie name must be a plain token');
  return `${name}=${attributes(path, 0, secure)}`;
}

/**
 * The value of the first cookie called `name` in a Cookie request header, or undefined. Tolerant of whatever a
 * client sends (no header, empty pairs, pairs without `=`, quoted values): it never throws.
 */
export function readCookie(header: unknown, name: string): string | undefined {
  if (typeof header !== 'string' || header.length > MAX_COOKIE_HEADER_LENGTH) return undefined;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== name) continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value.length > 0 ? value : undefined;
  }
  return undefined;
}
