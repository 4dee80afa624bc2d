import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { newId } from '../clock.ts';
import type { Config } from '../config.ts';
import type { JobProgress } from '../contracts/archive.ts';
import type { ArchiveAdapter } from '../archive/adapter.ts';
import { buildArchive } from '../archive/archive-builder.ts';
import type { ManifestApp } from '../archive/format.ts';
import { allTrustedEntcoreKeys, trustEntcoreKey } from '../archive/entcore/entcore-keys.ts';
import { allTrustedKeys, trustKey } from '../archive/keys.ts';
import { verifyArchive } from '../archive/verify.ts';
import { AppError } from '../errors.ts';
import type { Runtime } from '../runtime.ts';
import { exportGroup } from './group-export.ts';
import { withRuntime } from './with-runtime.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);

function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** One line of progress, redrawn in place on a terminal. */
function progressLine(progress: JobProgress): string {
  return Object.entries(progress)
    .flatMap(([app, p]) => {
      if (p === undefined) return [];
      switch (p.status) {
        case 'complete':
          return [`${app} ✓`];
        case 'partial':
          return [`${app} ✓ (${p.failed?.length ?? 0} failed)`];
        case 'failed':
          return [`${app} ✗`];
        case 'cancelled':
          return [`${app} cancelled`];
        case 'pending':
        case 'running':
          return [`${app} ${p.items}/${p.itemsTotal}`];
      }
    })
    .join('  ');
}

/** The apps' archive adapters, from the registry (the archive engine never imports apps). */
function archiveAdapters(runtime: Runtime): ArchiveAdapter[] {
  return runtime.apps.list.flatMap((a) => (a.archive === undefined ? [] : [a.archive]));
}

function summary(a: ManifestApp): string {
  const done = `${a.items} items, ${formatBytes(a.bytes)}`;
  switch (a.status) {
    case 'complete':
      return done;
    case 'partial':
      return `${done}; not exported: ${(a.failed ?? []).map((f) => `${f.name} (${f.code})`).join(', ')}`;
    case 'failed':
      return `FAILED (${a.error ?? ''})`;
  }
}

export function addArchiveCommands(program: Command, config: () => Config): void {
  program
    .command('export')
    .description(
      "Export a user's data to a signed archive file (as Télécharger mes données does); with --all --group, queue one export per member of a class or school",
    )
    .option('--login <login>', 'whose data (with --out)')
    .option('--apps <apps>', 'comma-separated app ids (default: all)')
    .option('--no-documents', 'leave document files out (their metadata stays)')
    .option('--no-shared', 'leave out what others share with the user')
    .option('--out <file>', 'the .zip to write (with --login)')
    .option('--all', 'every member of --group: each export queued for the workers, as if asked')
    .option('--group <group>', 'with --all: a group (class) or school, by id or name')
    .option('--rate <n>', 'with --all: at most n exports queued per second', Number, 5)
    .action(
      async (o: {
        login?: string;
        apps?: string;
        documents: boolean;
        shared: boolean;
        out?: string;
        all?: boolean;
        group?: string;
        rate: number;
      }) =>
        withRuntime(config(), async (runtime) => {
          const wanted = o.apps
            ?.split(',')
            .map((a) => a.trim())
            .filter((a) => a.length > 0);
          if (o.all === true || o.group !== undefined) {
            if (o.all !== true || o.group === undefined)
              throw new AppError('invalid_request', '--all and --group go together');
            if (o.login !== undefined || o.out !== undefined)
              throw new AppError(
                'invalid_request',
                '--all --group takes neither --login nor --out',
              );
            const r = await exportGroup(
              runtime,
              {
                group: o.group,
                ...(wanted === undefined ? {} : { apps: wanted }),
                includeDocuments: o.documents,
                includeShared: o.shared,
                rate: o.rate,
              },
              out,
            );
            if (r.errors > 0) process.exitCode = 1;
            return;
          }
          if (o.login === undefined || o.out === undefined)
            throw new AppError(
              'invalid_request',
              'export needs --login and --out (or --all --group)',
            );
          const user = await runtime.platform.accounts.requireByLogin(o.login);
          const all = archiveAdapters(runtime);
          const adapters = wanted === undefined ? all : all.filter((a) => wanted.includes(a.app));
          const unknown = (wanted ?? []).filter((w) => !all.some((a) => a.app === w));
          if (unknown.length > 0)
            throw new AppError('invalid_request', `Unknown app(s): ${unknown.join(', ')}`);
          const tty = process.stderr.isTTY;
          const tmp = `${o.out}.part`;
          const result = await buildArchive(
            {
              exportId: newId(),
              user,
              adapters,
              options: { includeDocuments: o.documents, includeShared: o.shared },
              key: await runtime.instanceKey(),
              instance: { name: runtime.config.instanceName, url: runtime.config.publicUrl },
              now: new Date(runtime.clock.now()),
              signal: AbortSignal.timeout(24 * 3_600_000),
              onProgress: (p) => {
                if (tty) process.stderr.write(`\r\x1b[2K${progressLine(p)}`);
              },
              // The archive holds codes only; whoever runs the command sees the cause.
              onAppError: (app, error) => {
                runtime.log.error({ err: error, app }, 'an app of the export failed');
              },
              onItemError: (app, item, cause) => {
                // Its name is in the summary printed below; logs carry codes, not names.
                runtime.log.warn({ err: cause, app, code: item.code }, 'an item was not exported');
              },
            },
            async (zip) => {
              await pipeline(zip, fs.createWriteStream(tmp));
            },
          );
          fs.renameSync(tmp, o.out);
          await runtime.audit.record({
            action: 'export_requested',
            outcome: 'ok',
            actor: { id: user.id, login: user.login },
            detail: { apps: adapters.map((a) => a.app).join(','), file: path.basename(o.out) },
            clientAddress: 'cli',
          });
          if (tty) process.stderr.write('\n');
          for (const [app, a] of Object.entries(result.manifest.apps)) out(`${app}: ${summary(a)}`);
          out(`Wrote ${o.out} (${result.manifest.files.length} files)`);
          // Something is missing from the archive: scripts can tell.
          if (Object.values(result.manifest.apps).some((a) => a.status !== 'complete'))
            process.exitCode = 2;
        }),
    );

  program
    .command('import')
    .description("Import an archive into a user's account (as Importer does), with its report")
    .argument('<file>', "the .zip made by Mes Données (or by an Open ENT NG platform's)")
    .requiredOption('--login <login>', 'into whose account')
    .option('--apps <apps>', 'comma-separated app ids (default: every importable one)')
    .option('--dry-run', 'say what would happen, write nothing')
    .option('--duplicates <policy>', 'skip or copy what was already imported', 'skip')
    .option('--include-trash', "an Open ENT NG archive's trash too (into the user's trash)")
    .action(
      async (
        file: string,
        o: {
          login: string;
          apps?: string;
          dryRun?: boolean;
          duplicates: string;
          includeTrash?: boolean;
        },
      ) =>
        withRuntime(config(), async (runtime) => {
          if (o.duplicates !== 'skip' && o.duplicates !== 'copy')
            throw new AppError('invalid_request', '--duplicates is skip or copy');
          const duplicates = o.duplicates;
          const user = await runtime.platform.accounts.requireByLogin(o.login);
          runtime.queue.startWorker();
          const tty = process.stderr.isTTY;
          const created = await runtime.imports.create(
            user,
            fs.createReadStream(file),
            path.basename(file),
          );
          const wait = async (done: (status: string) => boolean) => {
            for (;;) {
              const v = await runtime.imports.get(user, created.id);
              if (tty && Object.keys(v.progress).length > 0)
                process.stderr.write(`\r\x1b[2K${progressLine(v.progress)}`);
              if (done(v.status)) return v;
              await new Promise((r) => setTimeout(r, 250));
            }
          };
          const analyzed = await wait((s) => s !== 'uploaded' && s !== 'analyzing');
          if (analyzed.status !== 'analyzed' || analyzed.analysis === null) {
            throw new AppError(
              'invalid_request',
              `The archive is refused: ${analyzed.error ?? analyzed.status}`,
            );
          }
          const { source, apps: inArchive } = analyzed.analysis;
          out(
            `From ${source.instance} (${source.signature}), exported ${source.exportedAt ?? '?'} by ${source.exportedBy?.login ?? '?'}`,
          );
          for (const a of inArchive)
            out(
              `  ${a.app}: ${a.items} items, ${formatBytes(a.bytes)}${a.importable ? '' : ` — not importable (${a.reason ?? '?'})`}${a.trash === undefined ? '' : `; in its trash ${a.trash.items} items, ${formatBytes(a.trash.bytes)} (--include-trash)`}`,
            );
          const wanted = o.apps
            ?.split(',')
            .map((a) => a.trim())
            .filter((a) => a.length > 0);
          const apps = wanted ?? inArchive.filter((a) => a.importable).map((a) => a.app);
          if (apps.length === 0) {
            await runtime.imports.cancel(user, created.id);
            throw new AppError('invalid_request', 'Nothing in this archive can be imported');
          }
          await runtime.imports.launch(user, created.id, {
            apps,
            dryRun: o.dryRun === true,
            duplicates,
            includeTrash: o.includeTrash === true,
          });
          await runtime.audit.record({
            action: 'import_launched',
            outcome: 'ok',
            actor: { id: user.id, login: user.login },
            targetId: created.id,
            detail: { apps: apps.join(','), dryRun: o.dryRun === true },
            clientAddress: 'cli',
          });
          const ended = await wait((s) => !['queued', 'running'].includes(s) && s !== 'analyzing');
          if (tty) process.stderr.write('\n');
          if (ended.report === null) {
            process.exitCode = 1;
            out(`The import failed (${ended.error ?? ended.status})`);
            return;
          }
          out(o.dryRun === true ? 'Dry run: nothing was written.' : `Import ${ended.id}:`);
          let failures = 0;
          for (const [app, r] of Object.entries(ended.report.apps)) {
            failures += r.failed.length;
            out(
              `  ${app}: ${r.imported} imported, ${r.duplicates} already there, ${r.skipped} skipped, ${r.failed.length} failed${r.upgradedFrom === undefined ? '' : ` (upgraded from data version ${r.upgradedFrom})`}`,
            );
            for (const f of r.failed) out(`    ✗ ${f.name} (${f.code})`);
            for (const w of r.warnings) out(`    ! ${w.name} (${w.code})`);
          }
          if (failures > 0) process.exitCode = 2;
        }),
    );

  program
    .command('verify')
    .description(
      'Check archives: structure, every hash, the signature and its key, every record against its schema (exit 0 only if all hold)',
    )
    .argument('<files...>', 'the .zip files to check')
    .action(async (files: string[]) => {
      const cfg = config();
      await withRuntime(cfg, async (runtime) => {
        const trusted = await allTrustedKeys(await runtime.instanceKey(), cfg);
        // Several files: each line says which one it is about.
        const prefix = (file: string) => (files.length > 1 ? `${file}: ` : '');
        for (const file of files) {
          const line = (text: string) => out(`${prefix(file)}${text}`);
          const result = await verifyArchive(file, trusted, { apps: archiveAdapters(runtime) });
          for (const p of result.problems) line(`PROBLEM: ${p}`);
          for (const n of result.notes) line(`NOTE: ${n}`);
          if (result.ok) {
            const key = trusted.find((k) => k.id === result.signedBy);
            line(
              `OK: ${result.checked} files and ${result.records} records checked, signature by ${result.signedBy ?? '?'} (${key?.source ?? ''})`,
            );
          } else {
            line(`INVALID: ${result.problems.length} problem(s)`);
            process.exitCode = 1;
          }
        }
      });
    });

  const keys = program
    .command('keys')
    .description("The instance's signing key, and the keys it trusts");
  keys
    .command('show')
    .description("Print this instance's Ed25519 public key (PEM, SPKI)")
    .action(async () =>
      withRuntime(config(), async (runtime) => {
        const key = await runtime.instanceKey();
        process.stderr.write(`Key id ${key.id}\n`);
        process.stdout.write(key.publicKeyPem);
      }),
    );
  keys
    .command('trust')
    .description(
      "Trust archives signed by another instance's public key (a PEM file), or with --entcore by an Open ENT NG platform's RSA key",
    )
    .argument('<file>', 'public key PEM, as printed by "keys show" on the other instance')
    .option('--entcore', "the file is an Open ENT NG platform's RSA public key (PEM, SPKI)")
    .action(async (file: string, o: { entcore?: boolean }) => {
      const cfg = config();
      if (o.entcore === true) {
        const key = await trustEntcoreKey(file, cfg.signingKeyFile);
        out(`Trusted Open ENT NG key ${key.id}`);
        return;
      }
      const key = await trustKey(file, cfg.signingKeyFile);
      out(`Trusted key ${key.id}`);
    });
  keys
    .command('list')
    .description('List the keys whose archives are trusted')
    .action(async () => {
      const cfg = config();
      await withRuntime(cfg, async (runtime) => {
        for (const k of await allTrustedKeys(await runtime.instanceKey(), cfg))
          out(`${k.id}\t${k.source}`);
        for (const k of await allTrustedEntcoreKeys(cfg)) out(`${k.id}\t${k.source}\tOpen ENT NG`);
      });
    });

  program
    .command('purge')
    .description(
      'Delete expired export archives, and uploads and imports never launched, now (workers also do it every 10 minutes)',
    )
    .action(async () =>
      withRuntime(config(), async (runtime) => {
        const n = await runtime.exports.purgeExpired();
        const imports = await runtime.imports.purgeStale();
        const uploads = await runtime.uploads.purgeStale(runtime.clock.now());
        out(
          `Purged ${n} expired export(s), ${imports} import(s) and ${uploads} upload(s) never launched`,
        );
      }),
    );
}
