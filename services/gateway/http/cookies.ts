import type { Request } from 'express';

/**
 * One cookie's value from the Cookie header (RFC 6265 §5.4), or undefined. The
 * console reads two cookies it set itself; a parser library would bring more
 * than these few lines do.
 */
export function cookieValue(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}
