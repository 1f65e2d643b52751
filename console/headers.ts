/**
 * The security headers of the console's pages, in one place: the local runtime sends them and the
 * CloudFront response headers policy (lib/console.ts) is built from them, so a page that breaks
 * the policy breaks in the browser tests too. Plain data, no imports.
 */

/**
 * Scripts, styles, images and API calls from this origin only; no frames, no plugins, no inline
 * code. Downloads (log bundles, reports) are fetched from the archive bucket's origin through
 * presigned URLs, so that origin joins connect-src when the deployment names it.
 */
export function contentSecurityPolicy(downloadOrigins: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    ["connect-src 'self'", ...downloadOrigins].join(' '),
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

export const HSTS_SECONDS = 2 * 365 * 86400;

export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'strict-transport-security': `max-age=${HSTS_SECONDS}; includeSubDomains`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** The headers, with the archive bucket's origin allowed for downloads. */
export const consoleHeaders = (downloadOrigins: readonly string[] = []): Readonly<Record<string, string>> => ({
  ...CONSOLE_HEADERS,
  'content-security-policy': contentSecurityPolicy(downloadOrigins),
});

/** Hashed build output never changes under its name; everything else is checked on every load. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
export const REVALIDATE_CACHE = 'no-cache';

/** Where Vite puts hashed files, under the site root. */
export const ASSETS_PREFIX = '/assets/';
