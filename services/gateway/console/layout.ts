import type { Principal } from '../../identity/index.ts';
import { consolePath, type Html, html } from './html.ts';

/** Who is looking at a page, and the token their page's actions must send back. */
export interface Viewer {
  readonly principal: Principal;
  readonly csrfToken: string;
}

function navigation(principal: Principal): Html {
  const links =
    principal.kind === 'platform-admin'
      ? [
          { href: '/admin/tenants', label: 'Tenants' },
          { href: '/admin/projections', label: 'Projections' },
          { href: '/admin/dead-letters', label: 'Dead letters' },
          { href: '/admin/relay', label: 'Relay' },
          { href: '/admin/kafka', label: 'Kafka' },
        ]
      : [
          { href: consolePath(['tenants', principal.tenant]), label: 'Tenant' },
          { href: consolePath(['tenants', principal.tenant, 'streams']), label: 'Streams' },
        ];
  return html`<nav aria-label="Console">
    <ul>
      ${links.map((link) => html`<li><a href="${link.href}">${link.label}</a></li>`)}
    </ul>
  </nav>`;
}

function signedIn(viewer: Viewer): Html {
  const who =
    viewer.principal.kind === 'platform-admin'
      ? 'platform administrator'
      : `tenant admin (${viewer.principal.subject})`;
  return html`<div class="who">
    <span>Signed in as ${who}</span>
    <form method="post" action="/admin/logout">
      <input type="hidden" name="csrf" value="${viewer.csrfToken}" />
      <button type="submit">Sign out</button>
    </form>
  </div>`;
}

/** The page every console view sits in: its own script and stylesheet only (see security-headers.ts). */
export function page(title: string, main: Html, viewer?: Viewer): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${viewer ? html`<meta name="csrf-token" content="${viewer.csrfToken}" />` : null}
        <title>${title} · Eventline console</title>
        <link rel="stylesheet" href="/admin/assets/console.css" />
        <script src="/admin/assets/console.js" defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href="/admin">Eventline console</a>
          ${viewer ? navigation(viewer.principal) : null} ${viewer ? signedIn(viewer) : null}
        </header>
        <main>${main}</main>
      </body>
    </html>`;
}

/** Where an action's outcome is announced: its problem, or what it returns to show once. */
export const actionResult = html`<div class="result" role="status" aria-live="polite"></div>`;

export function formatInstant(date: Date | string | null): string {
  if (date === null) return '';
  return (typeof date === 'string' ? date : date.toISOString()).replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
