import axe from 'axe-core';
import type { Page } from 'playwright-core';

/** Where the page loads axe-core from: its own origin, so the site's CSP (`script-src 'self'`) holds. */
const AXE_PATH = '/__test__/axe-core.js';
const routed = new WeakSet<Page>();

/**
 * Puts axe-core into the page once. The script is served from the page's own origin through a
 * route, not inlined: the site's Content-Security-Policy forbids inline scripts, and turning the
 * CSP off (`bypassCSP`) would hide the policy's own breakages from the browser tests.
 */
async function injectAxe(page: Page): Promise<void> {
  if (!routed.has(page)) {
    await page.route(`**${AXE_PATH}`, (route) =>
      route.fulfill({ contentType: 'text/javascript; charset=utf-8', body: axe.source }),
    );
    routed.add(page);
  }
  const present = await page.evaluate(() => 'axe' in window);
  if (present) return;
  await page.addScriptTag({ url: AXE_PATH });
  if (!(await page.evaluate(() => 'axe' in window))) {
    throw new Error('axe-core did not load in the page (blocked by its Content-Security-Policy?)');
  }
}

interface Found {
  id: string;
  impact: string;
  help: string;
  helpUrl: string;
  nodes: { target: string; html: string; summary: string }[];
}

/**
 * The serious and critical accessibility violations axe-core finds in the page as it is now
 * (WCAG 2.0/2.1 A and AA rules and axe's best practices), each written out for a readable
 * failure: rule, impact, what it asks, and the elements concerned. `[]` when there are none.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await injectAxe(page);
  const found = await page.evaluate(async (): Promise<Found[]> => {
    const run = (window as unknown as { axe: typeof axe }).axe;
    const results = await run.run(document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
      },
      resultTypes: ['violations'],
    });
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact ?? '',
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.slice(0, 5).map((n) => ({
          target: n.target.map(String).join(' '),
          html: n.html.slice(0, 200),
          summary: (n.failureSummary ?? '').replace(/\s+/g, ' ').trim(),
        })),
      }));
  });
  return found.map(
    (v) =>
      `${v.impact}: ${v.id} (${v.help}, ${v.helpUrl})\n` +
      v.nodes.map((n) => `    ${n.target}\n      ${n.html}\n      ${n.summary}`).join('\n'),
  );
}
