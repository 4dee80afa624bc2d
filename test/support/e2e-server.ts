import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { defaultWebRoot } from '../../src/http/server.ts';
import { start, type Started } from '../../src/main.ts';
import { launchBrowser } from './browser.ts';

export interface E2eServer {
  started: Started;
  browser: Browser;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The real service as `npm start` runs it (its first start on an empty data folder makes the
 * demo accounts), on a free port, with Debian's Chromium to drive it.
 */
export async function startE2eServer(
  name: string,
  logLevel: 'warn' | 'silent' = 'warn',
): Promise<E2eServer> {
  if (!fs.existsSync(path.join(defaultWebRoot, 'index.html'))) {
    throw new Error('web/dist is missing: run "npm run build" first (npm test does)');
  }
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), `md-e2e-${name}-`));
  const started = await start(
    loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: logLevel }),
    'all',
  );
  const browser = await launchBrowser();
  return {
    started,
    browser,
    dataDir,
    async close() {
      await browser.close();
      await started.stop();
      await fsp.rm(dataDir, { recursive: true, force: true });
    },
  };
}
