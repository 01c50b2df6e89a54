import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { projectRoot } from '../../services/platform/paths/index.ts';

/**
 * Debian's chromium (scripts/test/chromium.sh finds it, or installs it as
 * root), or why there is none: the one reason the browser tests may skip.
 */
export function chromiumPath(): { path: string } | { missing: string } {
  try {
    const path = execFileSync('bash', [join(projectRoot(), 'scripts/test/chromium.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    }).trim();
    return { path };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    return { missing: stderr || (error as Error).message };
  }
}

/** Flags for a headless chromium on a machine without a GPU, a sandbox user namespace or outside network. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

const AXE_SOURCE = readFileSync(join(projectRoot(), 'node_modules/axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly unknown[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it stands. It is
 * evaluated through the DevTools protocol, which the page's
 * Content-Security-Policy does not govern, so the policy under test stays on.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  // A string, evaluated in the page: the test's own TypeScript knows no DOM.
  const violations = await page.evaluate('axe.run(document).then((result) => result.violations)');
  return (violations as AxeViolation[])
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
}

const IMAGES = join(projectRoot(), 'docs', 'images');

/** A screenshot of the page for the README and docs/console.md: docs/images/console-<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(IMAGES, { recursive: true });
  await page.screenshot({ path: join(IMAGES, `console-${name}.png`), fullPage: false });
}

export const SIGN_IN_LABEL = "Admin token, or a tenant admin's API key";

/** A page of the context signed in to the console at `url` with `credential`, accepting every confirmation. */
export async function signIn(url: string, context: BrowserContext, credential: string): Promise<Page> {
  const page = await context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(`${url}/admin`);
  await page.getByLabel(SIGN_IN_LABEL).fill(credential);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/admin\/tenants/);
  return page;
}
