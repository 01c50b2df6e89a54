import type { NextFunction, Request, Response } from 'express';

/**
 * Every console response: a Content-Security-Policy that runs only the
 * console's own script and stylesheet (no inline script or style, no other
 * origin, no framing, forms posting only here), and the other headers a
 * review asks for. Five fixed headers are clearer set here than configured
 * through helmet, which the gateway does not otherwise need.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function consoleSecurityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  // Pages show tenants' data: no cache, shared or the browser's, keeps a copy.
  res.setHeader('Cache-Control', 'no-store');
  next();
}
