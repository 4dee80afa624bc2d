import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Config, type Role } from '../config.ts';
import { migrateToLatest, openDatabase } from '../db/database.ts';
import { allMigrations } from '../apps/registry.ts';
import { start } from '../main.ts';
import { addAdminCommands } from './admin-commands.ts';
import { addArchiveCommands } from './archive-commands.ts';
import { addAuditCommand } from './audit-command.ts';
import { addJobsCommands } from './jobs-commands.ts';
import { addStatsCommand } from './stats-command.ts';

/** Config errors are the user's to fix: list them all, plainly, and exit 1. */
function config(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mes-donnees: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function run(role: Role | undefined): Promise<void> {
  const cfg = config();
  const started = await start(cfg, role ?? cfg.role);
  if (started.url !== undefined) process.stdout.write(`Mes Données is running at ${started.url}\n`);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`Second ${signal}: exiting now\n`);
      process.exit(130);
    }
    process.stderr.write(`${signal} received: finishing running work (Ctrl-C again to force)\n`);
    started
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        process.stderr.write(`Shutdown failed: ${String(error)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function buildCli(): Command {
  const program = new Command('mes-donnees')
    .description('Mes Données: export and import of ENT accounts (web, worker and admin commands)')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });

  program
    .command('serve')
    .description('Run the service: web and worker in one process, or the role given by ROLE')
    .addOption(new Option('--role <role>', 'override ROLE').choices(['all', 'web', 'worker']))
    .action(async (opts: { role?: Role }) => run(opts.role));

  program
    .command('web')
    .description('Run the HTTP API and web front end only (stateless; run as many as needed)')
    .action(async () => run('web'));

  program
    .command('worker')
    .description('Run a job worker only (exports, imports, purges); run as many as needed')
    .action(async () => run('worker'));

  program
    .command('migrate')
    .description('Apply pending database migrations, then exit')
    .action(async () => {
      const db = openDatabase(config().database);
      try {
        const applied = await migrateToLatest(db, allMigrations());
        process.stdout.write(
          applied.length === 0 ? 'Database is up to date\n' : `Applied: ${applied.join(', ')}\n`,
        );
      } finally {
        await db.close();
      }
    });

  addAdminCommands(program, config);
  addArchiveCommands(program, config);
  addJobsCommands(program, config);
  addStatsCommand(program, config);
  addAuditCommand(program, config);
  return program;
}
