/**
 * HTML built with the `html` tag escapes every interpolated value, unless it is
 * Html itself (a fragment built the same way). Templates quote every attribute
 * with double quotes, so escaping the five characters OWASP names is all that
 * text and attribute values need; URLs are built from our own paths with
 * encoded segments, never taken from input whole. A library would add a
 * template language; this tag keeps pages plain TypeScript, escaped by default.
 */
export class Html {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

export type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

function render(value: Interpolation): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): Html {
  let text = strings[0] ?? '';
  values.forEach((value, index) => {
    text += render(value) + (strings[index + 1] ?? '');
  });
  return new Html(text);
}

/** A path under the console from segments, each percent-encoded, with an optional query. */
export function consolePath(
  segments: readonly (string | number)[],
  query: Readonly<Record<string, string | number | undefined>> = {},
): string {
  const path = `/admin/${segments.map((segment) => encodeURIComponent(String(segment))).join('/')}`;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}
