import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEMO_PASSWORD } from '../../src/demo/seed-demo.ts';
import { type Started } from '../../src/main.ts';
import { seriousViolations } from '../support/axe.ts';
import { startE2eServer, type E2eServer } from '../support/e2e-server.ts';
import {
  text,
  walkJourney,
  type Journey,
  type JourneyResult,
  type JourneyStep,
  type Language,
} from '../support/journey.ts';

const SHOTS = path.resolve('test-results/journey');

/** Texts compared as read: any run of spaces (breaking or not) is one space. */
const squash = (value: string) => value.replace(/\s+/g, ' ').trim();

const VARIANTS: { language: Language; width: number; height: number }[] = [
  { language: 'fr', width: 1280, height: 800 },
  { language: 'en', width: 1280, height: 800 },
  { language: 'fr', width: 390, height: 844 },
];

describe('Mes Données, the whole journey in Chromium: export, log in as another user, import, undo', () => {
  let started: Started;
  let browser: Browser;
  let server: E2eServer | undefined;

  beforeAll(async () => {
    server = await startE2eServer('journey', 'silent');
    ({ started, browser } = server);
    await fsp.mkdir(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await server?.close();
  });

  for (const { language, width, height } of VARIANTS) {
    it(`in ${language} at ${width} px: every step is clean for axe and shows what the user needs`, async () => {
      const baseUrl = started.url ?? '';
      const context: BrowserContext = await browser.newContext({
        viewport: { width, height },
        acceptDownloads: true,
        locale: language === 'fr' ? 'fr-FR' : 'en-GB',
        timezoneId: language === 'fr' ? 'Europe/Paris' : 'Europe/London',
      });
      const page: Page = await context.newPage();
      // A step that does not come fails with the locator it waited for, well within the test's time.
      page.setDefaultTimeout(15_000);
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error' && !m.text().includes('401')) problems.push(m.text());
      });
      const violations: string[] = [];
      let shot = 0;
      const prefix = `${language}-${width}`;
      for (const old of fs.readdirSync(SHOTS).filter((f) => f.startsWith(`${prefix}-`))) {
        fs.rmSync(path.join(SHOTS, old));
      }

      const journey: Journey = {
        page,
        baseUrl,
        language,
        async onStep(step: JourneyStep) {
          shot += 1;
          const found = await seriousViolations(page);
          violations.push(...found.map((v) => `[${step.name}] ${v}`));
          const name = `${prefix}-${String(shot).padStart(2, '0')}-${step.name}.png`;
          await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
          // The page never scrolls sideways (a phone shows everything in its width).
          const sideways = await page.evaluate(
            () => document.documentElement.scrollWidth - window.innerWidth,
          );
          if (sideways > 0)
            violations.push(`[${step.name}] the page scrolls sideways by ${sideways} px`);
        },
      };

      let result: JourneyResult;
      try {
        result = await walkJourney(
          journey,
          DEFAULT_DEMO_PASSWORD,
          path.join(SHOTS, 'downloads', prefix),
        );
      } catch (error) {
        // What the page showed when a step did not come, next to the steps' screenshots.
        await page.screenshot({ path: path.join(SHOTS, `${prefix}-failure.png`), fullPage: true });
        throw error;
      }

      // The archive is this export's, whole, with the two apps ticked.
      expect(result.archive.suggestedName).toMatch(/^mes-donnees-enseignant\.demo-.*\.zip$/);
      const bytes = await fsp.readFile(result.archive.file);
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
      const exported = z
        .object({ apps: z.array(z.string()), size: z.number(), status: z.string() })
        .parse(result.exported);
      expect(exported.status).toBe('ready');
      expect([...exported.apps].sort()).toEqual(['news', 'workspace']);
      expect(bytes.length).toBe(exported.size);

      // The analysis: Actualités refused with the reason in words, tied to its checkbox.
      const news = text(language, 'apps.news');
      const workspace = text(language, 'apps.workspace');
      expect(result.analysis.refused).toMatchObject({ disabled: true, checked: false });
      const reason = squash(text(language, 'importer.reason.no_right', { app: news }));
      expect(squash(result.analysis.refused.shown)).toContain(reason);
      expect(squash(result.analysis.refused.description)).toContain(reason);
      expect(result.analysis.importable).toMatchObject({ disabled: false, checked: true });

      // The report's numbers are the API's, for Espace documentaire only.
      const report = z
        .object({
          apps: z.record(
            z.string(),
            z.object({
              imported: z.number(),
              duplicates: z.number(),
              skipped: z.number(),
              failed: z.array(z.unknown()),
            }),
          ),
        })
        .parse(result.apiReport);
      expect(Object.keys(report.apps)).toEqual(['workspace']);
      const api = report.apps.workspace;
      expect(api?.imported).toBeGreaterThan(0);
      expect(result.shown).toEqual({
        [workspace]: [api?.imported, api?.duplicates, api?.skipped, api?.failed.length],
      });
      expect(result.imported.documents.length).toBeGreaterThan(result.before.documents.length);
      // The CSV downloaded from the page is the API's report.
      // (The file starts with a byte order mark, for spreadsheets; fetch's text() drops it.)
      expect(result.csv.replace(/^\uFEFF/, '')).toBe(result.apiCsv);
      expect(result.csv).toContain('workspace');

      // Undo said what it removes, and left the pupil's documents as they were.
      expect(squash(result.confirmation)).toContain(
        squash(
          text(language, 'importer.report.undo.app', { app: workspace, count: api?.imported ?? 0 }),
        ),
      );
      expect(result.after).toEqual(result.before);
      expect(z.object({ status: z.string() }).parse(result.undone).status).toBe('undone');

      expect(violations).toEqual([]);
      expect(problems).toEqual([]);
      await context.close();
    }, 90_000);
  }
});
