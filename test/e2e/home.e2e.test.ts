import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { defaultWebRoot } from '../../src/http/server.ts';
import { start, type Started } from '../../src/main.ts';
import { launchBrowser } from '../support/browser.ts';

describe('web front end in Chromium', () => {
  let started: Started;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    if (!fs.existsSync(path.join(defaultWebRoot, 'index.html'))) {
      throw new Error('web/dist is missing: run "npm run build" first (npm test does)');
    }
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-e2e-'));
    started = await start(
      loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
      'all',
    );
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await started?.stop();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it('shows the home page in French with every health check OK, then switches to English', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    const outside: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') violations.push(m.text());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(started.url!)) outside.push(r.url());
    });
    await page.goto(`${started.url}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    await expect.poll(() => page.locator('h1').textContent()).toContain('données');
    await page.getByText('Tous les composants fonctionnent.').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(dataDir, 'home-fr.png') });

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByText('All components are working.').waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');

    // A client-side route is served the app too.
    const res = await page.goto(`${started.url}/archive`);
    expect(res?.status()).toBe(200);
    expect(violations).toEqual([]); // CSP violations and script errors show up here
    expect(outside).toEqual([]);
    await page.close();
  });
});
