/**
 * The screenshots of the user guide (docs/guide/mes-donnees.md): the real service on an empty
 * data folder (demo accounts), Chromium walking the same journey as the journey test
 * (test/support/journey.ts), in French, on a computer (1280 px) and on a phone (390 px). Each
 * picture is cut to the part of the page its step is about and written to docs/guide/img/ under
 * a stable name. Run with `npm run guide:screenshots` (it builds the page first).
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_DEMO_PASSWORD } from '../src/demo/seed-demo.ts';
import { startE2eServer } from '../test/support/e2e-server.ts';
import { craftZip } from '../test/fixtures/hostile-archives.ts';
import {
  dropRefusedFile,
  walkJourney,
  type Journey,
  type JourneyStep,
} from '../test/support/journey.ts';

const OUT = path.resolve('docs/guide/img');

/** Which steps the guide shows, and the file each one goes to. */
const DESKTOP: Readonly<Record<string, string>> = {
  exporter: '01-exporter.png',
  'archive-prete': '02-archive-prete.png',
  importer: '03-importer.png',
  analyse: '04-analyse.png',
  'import-en-cours': '05-import-en-cours.png',
  rapport: '06-rapport.png',
  'annuler-confirmation': '07-annuler-confirmation.png',
  'import-annule': '08-import-annule.png',
  'fichier-refuse': '09-fichier-refuse.png',
};
const PHONE: Readonly<Record<string, string>> = {
  'archive-prete': '10-telephone-archive-prete.png',
  rapport: '11-telephone-rapport.png',
};

/** A .zip that Mes Données did not make: what a pupil sees when she drops the wrong file. */
const NOT_AN_EXPORT = {
  name: 'devoirs.zip',
  bytes: craftZip([
    { name: 'devoirs/poeme.txt', data: 'Le corbeau et le renard\n', deflate: true },
  ]),
};

/** Room around the region a picture is cut to, in CSS pixels. */
const MARGIN = 16;
/** Never taller than this: the guide shows the part that matters, not a whole long page. */
const MAX_HEIGHT = 1100;

async function photograph(page: Page, step: JourneyStep, file: string): Promise<void> {
  // No hover effect from the last click on what takes the button's place.
  await page.mouse.move(0, 0);
  const focus = await step.focus.boundingBox();
  if (focus === null) throw new Error(`${step.name}: the region to photograph is not on the page`);
  const above = step.above === undefined ? null : await step.above.boundingBox();
  const box =
    above === null
      ? focus
      : {
          x: Math.min(focus.x, above.x),
          y: above.y,
          width:
            Math.max(focus.x + focus.width, above.x + above.width) - Math.min(focus.x, above.x),
          height: focus.y + focus.height - above.y,
        };
  const scroll = await page.evaluate(() => ({ x: window.scrollX, y: window.scrollY }));
  const width = await page.evaluate(() => document.documentElement.clientWidth);
  // The box is in viewport coordinates; the clip of a full-page screenshot is in page ones.
  const x = Math.max(0, box.x + scroll.x - MARGIN);
  const y = Math.max(0, box.y + scroll.y - MARGIN);
  const clip = {
    x,
    y,
    width: Math.min(width - x, box.width + 2 * MARGIN),
    height: Math.min(MAX_HEIGHT, box.height + 2 * MARGIN),
  };
  await page.screenshot({
    path: path.join(OUT, file),
    clip,
    fullPage: true,
    animations: 'disabled',
  });
  console.log(`${file}  ${Math.round(clip.width)}×${Math.round(clip.height)}`);
}

async function walk(
  browser: Browser,
  baseUrl: string,
  viewport: { width: number; height: number },
  shots: Readonly<Record<string, string>>,
  downloads: string,
  refusal: boolean,
): Promise<void> {
  const context = await browser.newContext({
    viewport,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    acceptDownloads: true,
    deviceScaleFactor: 1,
  });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const journey: Journey = {
      page,
      baseUrl,
      language: 'fr',
      async onStep(step) {
        const file = shots[step.name];
        if (file !== undefined) await photograph(page, step, file);
      },
    };
    await walkJourney(journey, DEFAULT_DEMO_PASSWORD, downloads);
    if (refusal) await dropRefusedFile(journey, NOT_AN_EXPORT);
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  await fsp.mkdir(OUT, { recursive: true });
  // A picture the guide no longer shows does not stay behind.
  const made = new Set([...Object.values(DESKTOP), ...Object.values(PHONE)]);
  for (const old of await fsp.readdir(OUT)) {
    if (old.endsWith('.png') && !made.has(old)) await fsp.rm(path.join(OUT, old));
  }
  const downloads = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-guide-downloads-'));
  const server = await startE2eServer('guide', 'silent');
  try {
    const baseUrl = server.started.url;
    if (baseUrl === undefined) throw new Error('the server did not say where it listens');
    await walk(server.browser, baseUrl, { width: 1280, height: 900 }, DESKTOP, downloads, true);
    await walk(server.browser, baseUrl, { width: 390, height: 844 }, PHONE, downloads, false);
  } finally {
    await server.close();
    await fsp.rm(downloads, { recursive: true, force: true });
  }
}

await main();
