import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// Mutation runs (`npm run test:mutation`) replay the tests that cover each mutant many times:
// one database is enough for them (both are covered by `npm test`).
process.env.TEST_DB ??= 'sqlite';

/**
 * The tests that guard the mutated modules (see stryker.config.mjs), and only them: Stryker's
 * first run executes all of these, so a short list keeps a full mutation run short. (Not
 * `mergeConfig`: it would add this list to the base's instead of replacing it.)
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      'src/html/sanitize*.test.ts',
      'src/http/server.test.ts',
      'src/http/auth*.test.ts',
      'src/platform/access*.test.ts',
      'src/platform/quota*.test.ts',
      'src/platform/platform.test.ts',
      // One test per hostile archive in both (perTest coverage runs only those that reach a
      // mutant).
      'src/archive/verify*.test.ts',
      'src/archive/import/inspect*.test.ts',
      'src/archive/import/zip-structure*.test.ts',
    ],
  },
});
