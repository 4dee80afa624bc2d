// @ts-check
/**
 * Mutation testing of the code that guards users (`npm run test:mutation`): the archive
 * verifier and the import's analysis, authentication and CSRF, the access model, the quota and
 * the HTML allowlist. One module at a time while working on it:
 * `npm run test:mutation -- --mutate src/http/auth.ts`.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  checkers: ['typescript'],
  // The mutated modules and their imports only (see tsconfig.mutation.json).
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/archive/verify.ts',
    'src/archive/import/inspect.ts',
    'src/archive/import/zip-structure.ts',
    'src/http/auth.ts',
    'src/platform/access.ts',
    'src/platform/quota.service.ts',
    'src/html/sanitize.ts',
  ],
  // Only what the tests and the checker need: a smaller sandbox copies faster.
  ignorePatterns: ['web/dist', 'test-results', '.test-results', 'data', 'reports', 'docs', 'bench'],
  // The machine's two cores are shared; more runners would only contend.
  concurrency: 2,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: 90 },
  timeoutMS: 20_000,
  // The first run starts servers and builds archives on a loaded machine.
  dryRunTimeoutMinutes: 15,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
