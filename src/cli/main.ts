import { buildCli } from './cli.ts';

// A promise nobody awaits is a bug: fail loudly rather than run on in an unknown state.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`Unhandled rejection: ${String(reason)}\n`);
  process.exit(1);
});

await buildCli().parseAsync(process.argv);
