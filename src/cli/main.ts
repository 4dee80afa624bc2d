import { buildCli } from './cli.ts';

// Everything this process writes is someone's data (archives, uploads, the database, keys):
// readable by the service's account only, whatever the system's default.
process.umask(0o077);

// A promise nobody awaits is a bug: fail loudly rather than run on in an unknown state.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`Unhandled rejection: ${String(reason)}\n`);
  process.exit(1);
});

await buildCli().parseAsync(process.argv);
