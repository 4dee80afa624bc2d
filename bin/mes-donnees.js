#!/usr/bin/env node
// The CLI runs TypeScript directly (Node >= 24 strips types natively).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `mes-donnees needs Node.js 24 or later (this is ${process.version}); use "npm run cli -- ..." which brings its own.\n`,
  );
  process.exit(1);
}
await import('../src/cli/main.ts');
