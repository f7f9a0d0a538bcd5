// The response headers of every /devices and /api/devices answer. These pages show who is signed in where and
// hold the forms that sign devices out, so they must never be cached, framed, scripted, or leak their URL (a refusal
// ticket rides in the query string of /devices/ticket) to another site through Referer.
import type { RequestHandler } from 'express';

/**
 * The page is server-rendered HTML with one same-origin stylesheet and no script at all; everything else is shut.
 * `form-action 'self'`: our forms post to /devices/…, which redirect back to /devices (the redirect to ZITADEL's
 * authorize endpoint follows a GET, which form-action does not govern).
 */
export const DEVICES_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const DEVICES_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Content-Security-Policy': DEVICES_CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

/** Sets the headers before the route runs, so that error answers and redirects carry them too. */
export function devicesSecurityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.set(DEVICES_SECURITY_HEADERS);
    next();
  };
}
