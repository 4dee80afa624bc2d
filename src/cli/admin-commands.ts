import { Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../config.ts';
import { DEFAULT_DEMO_PASSWORD, seedDemo } from '../demo/seed-demo.ts';
import type { Platform } from '../platform/platform.ts';
import { withRuntime } from './with-runtime.ts';
import { PROFILES, type Action } from '../platform/rights.ts';

type Out = (line: string) => void;
const out: Out = (line) => process.stdout.write(`${line}\n`);

async function withPlatform(
  config: Config,
  fn: (platform: Platform) => Promise<void>,
): Promise<void> {
  return withRuntime(config, (runtime) => fn(runtime.platform));
}

function parseBytes(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a number of bytes');
  return Number(value);
}

/** An action's shape; whether this instance knows it is checked with the runtime's catalog. */
function parseAction(value: string): Action {
  const [app, name] = value.split('.');
  if (app === undefined || name === undefined || app === '' || name === '')
    throw new InvalidArgumentError('an action such as blog.create (see `rights list`)');
  return `${app}.${name}`;
}

/** user, group, rights, token and seed-demo: the operator's commands. */
export function addAdminCommands(program: Command, config: () => Config): void {
  const user = program.command('user').description('Manage accounts');
  user
    .command('create')
    .description('Create an account')
    .requiredOption('--login <login>', 'unique login (lowercase)')
    .requiredOption('--password <password>', 'password (8 characters or more)')
    .addOption(new Option('--profile <profile>', 'profile').choices(PROFILES).makeOptionMandatory())
    .option('--display-name <name>', 'name shown to others')
    .option('--group <group>', 'add to this group (id or name)')
    .option('--email <email>', 'e-mail for notification copies')
    .option('--quota <bytes>', 'storage quota in bytes (default: by profile)', parseBytes)
    .option('--admin', 'operator account')
    .action(
      async (o: {
        login: string;
        password: string;
        profile: (typeof PROFILES)[number];
        displayName?: string;
        group?: string;
        email?: string;
        quota?: number;
        admin?: boolean;
      }) =>
        withPlatform(config(), async (p) => {
          const created = await p.accounts.createUser({
            login: o.login,
            password: o.password,
            profile: o.profile,
            displayName: o.displayName,
            email: o.email,
            quota: o.quota,
            isAdmin: o.admin ?? false,
          });
          if (o.group !== undefined) await p.accounts.addMember(o.group, created.login);
          out(`Created ${created.login} (${created.profile}) ${created.id}`);
        }),
    );
  user
    .command('list')
    .description('List accounts')
    .action(async () =>
      withPlatform(config(), async (p) => {
        for (const u of await p.accounts.listUsers()) {
          const quota = await p.quota.usage(u.id);
          out(
            [
              u.login,
              u.profile,
              u.displayName,
              u.disabled ? 'disabled' : 'active',
              `${quota.used}/${quota.total}`,
            ].join('\t'),
          );
        }
      }),
    );
  user
    .command('disable')
    .description('Disable an account (ends its sessions)')
    .requiredOption('--login <login>')
    .action(async (o: { login: string }) =>
      withPlatform(config(), async (p) => {
        await p.accounts.setDisabled(o.login, true);
        out(`Disabled ${o.login}`);
      }),
    );
  user
    .command('enable')
    .description('Enable a disabled account')
    .requiredOption('--login <login>')
    .action(async (o: { login: string }) =>
      withPlatform(config(), async (p) => {
        await p.accounts.setDisabled(o.login, false);
        out(`Enabled ${o.login}`);
      }),
    );

  const group = program.command('group').description('Manage groups (classes)');
  group
    .command('create')
    .description('Create a group in a school (the school is created if needed)')
    .requiredOption('--school <school>', 'school name')
    .requiredOption('--name <name>', 'group name, e.g. "6e A"')
    .action(async (o: { school: string; name: string }) =>
      withPlatform(config(), async (p) => {
        const g = await p.accounts.createGroup(o.school, o.name);
        out(`Created group ${g.name} in ${g.schoolName} ${g.id}`);
      }),
    );
  group
    .command('add')
    .description('Add an account to a group')
    .requiredOption('--group <group>', 'group id or name')
    .requiredOption('--login <login>')
    .action(async (o: { group: string; login: string }) =>
      withPlatform(config(), async (p) => {
        await p.accounts.addMember(o.group, o.login);
        out(`Added ${o.login} to ${o.group}`);
      }),
    );
  group
    .command('list')
    .description('List groups')
    .action(async () =>
      withPlatform(config(), async (p) => {
        for (const g of await p.accounts.listGroups())
          out([g.id, g.schoolName, g.name, `${g.members} members`].join('\t'));
      }),
    );

  const rights = program.command('rights').description("Override a profile's rights for a group");
  rights
    .command('list')
    .description('List the actions of this instance')
    .action(async () =>
      withPlatform(config(), async (p) => {
        for (const action of p.rights.actions) out(action);
      }),
    );
  for (const effect of ['grant', 'revoke'] as const) {
    rights
      .command(effect)
      .description(
        effect === 'grant'
          ? 'Give a right to every member of a group'
          : 'Take a right from every member of a group',
      )
      .requiredOption('--group <group>', 'group id or name')
      .requiredOption('--action <action>', 'the action, such as blog.create', parseAction)
      .action(async (o: { group: string; action: Action }) =>
        withPlatform(config(), async (p) => {
          await p.accounts.setGroupRight(o.group, o.action, effect);
          out(`${effect === 'grant' ? 'Granted' : 'Revoked'} ${o.action} for ${o.group}`);
        }),
      );
  }
  rights
    .command('reset')
    .description('Remove a group override (back to the profile defaults)')
    .requiredOption('--group <group>', 'group id or name')
    .requiredOption('--action <action>', 'the action', parseAction)
    .action(async (o: { group: string; action: Action }) =>
      withPlatform(config(), async (p) => {
        await p.accounts.clearGroupRight(o.group, o.action);
        out(`Reset ${o.action} for ${o.group}`);
      }),
    );

  const token = program
    .command('token')
    .description('API tokens for scripts (Authorization: Bearer)');
  token
    .command('create')
    .description('Create a token; it is printed once, alone on the last line')
    .requiredOption('--login <login>')
    .option('--name <name>', 'what the token is for', 'cli')
    .action(async (o: { login: string; name: string }) =>
      withPlatform(config(), async (p) => {
        const u = await p.accounts.requireByLogin(o.login);
        const t = await p.auth.createToken(u.id, o.name);
        await p.audit.record({
          action: 'token_created',
          outcome: 'ok',
          actor: { id: u.id, login: u.login },
          targetId: t.id,
          detail: { name: o.name },
          clientAddress: 'cli',
        });
        out(`Token ${t.id} for ${u.login} ("${o.name}"). Keep it secret; it is not shown again:`);
        out(t.token);
      }),
    );
  token
    .command('list')
    .description('List tokens (never their secret)')
    .option('--login <login>')
    .action(async (o: { login?: string }) =>
      withPlatform(config(), async (p) => {
        const userId =
          o.login === undefined ? undefined : (await p.accounts.requireByLogin(o.login)).id;
        for (const t of await p.auth.listTokens(userId)) {
          const state = t.revokedAt === null ? 'active' : 'revoked';
          out([t.id, t.login, t.name, state, new Date(t.createdAt).toISOString()].join('\t'));
        }
      }),
    );
  token
    .command('revoke')
    .description('Revoke a token')
    .argument('<id>', 'token id (from token list)')
    .action(async (id: string) =>
      withPlatform(config(), async (p) => {
        await p.auth.revokeToken(id);
        out(`Revoked ${id}`);
      }),
    );

  program
    .command('seed-demo')
    .description('Create the demo school, class and accounts (idempotent)')
    .action(async () => {
      const cfg = config();
      await withRuntime(cfg, async (runtime) => {
        const created = await seedDemo(runtime, cfg.demoPassword ?? DEFAULT_DEMO_PASSWORD);
        out(
          created.length === 0 ? 'Demo accounts already exist' : `Created: ${created.join(', ')}`,
        );
      });
    });
}
