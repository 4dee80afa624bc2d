/**
 * The deployment files (Dockerfile, compose.yaml) cannot be run here (no Docker): this keeps
 * them consistent with what the tests run — every variable compose sets is one the service
 * reads and accepts, every command it or the image runs is a real CLI command.
 */
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildCli } from '../src/cli/cli.ts';
import { loadConfig } from '../src/config.ts';

/** The variables of `envSchema` in src/config.ts, read from its source (it is not exported). */
async function configVariables(): Promise<Set<string>> {
  const source = await fs.readFile('src/config.ts', 'utf8');
  const block = /const envSchema = z\.object\(\{\n([\s\S]*?)\n\}\);/.exec(source)?.[1];
  if (block === undefined) throw new Error('envSchema not found in src/config.ts');
  return new Set([...block.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!));
}

/** `${NAME:-default}` as compose substitutes it with nothing set: the default. */
function substituteDefaults(value: string): string {
  return value.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
}

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string | number | boolean>;
}

/** A service's environment as its process sees it with nothing set around compose. */
function environment(service: ComposeService | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service?.environment ?? {}).map(([k, v]) => [k, substituteDefaults(String(v))]),
  );
}

async function compose(): Promise<Record<string, ComposeService>> {
  const doc = parse(await fs.readFile('compose.yaml', 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  return doc.services;
}

const cliCommands = () => new Set(buildCli().commands.map((c) => c.name()));

describe('deployment files', () => {
  it('compose.yaml sets only variables src/config.ts reads, with values it accepts', async () => {
    const known = await configVariables();
    expect(known.size).toBeGreaterThan(30);
    const services = await compose();
    const ours = Object.entries(services).filter(([, s]) => s.image?.startsWith('mes-donnees'));
    expect(ours.map(([name]) => name).sort()).toEqual(['migrate', 'web', 'worker']);
    for (const [name, service] of ours) {
      const env = environment(service);
      expect(
        Object.keys(env).filter((k) => !known.has(k)),
        `${name}: unknown variables`,
      ).toEqual([]);
      // The whole environment loads (a bad value would throw, naming it).
      const config = loadConfig(env);
      expect(config.database.kind, name).toBe('postgres');
      expect(config.blobStore.kind, name).toBe('s3');
      expect(config.queue.kind, name).toBe('bullmq');
    }
    expect(loadConfig(environment(services.web)).role).toBe('web');
    expect(loadConfig(environment(services.worker)).role).toBe('worker');
  });

  it('compose.yaml and the Dockerfile run real CLI commands, and check the real health route', async () => {
    const commands = cliCommands();
    const dockerfile = await fs.readFile('Dockerfile', 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd).toBeDefined();
    const [node, bin, command] = JSON.parse(cmd ?? '[]') as string[];
    expect([node, bin]).toEqual(['node', 'bin/mes-donnees.js']);
    expect(commands.has(command ?? '')).toBe(true);
    const migrate = (await compose()).migrate?.command ?? [];
    expect(migrate.slice(0, 2)).toEqual(['node', 'bin/mes-donnees.js']);
    expect(commands.has(migrate[2] ?? '')).toBe(true);
    // The image's Node is the one the CLI requires, and it checks a route the server has.
    const engines = JSON.parse(await fs.readFile('package.json', 'utf8')).engines.node as string;
    const major = /FROM node:(\d+)/.exec(dockerfile)?.[1];
    expect(Number(major)).toBeGreaterThanOrEqual(Number(/\d+/.exec(engines)?.[0]));
    const healthPath = /fetch\('http:\/\/127\.0\.0\.1:' \+ .*? \+ '([^']+)'\)/.exec(
      dockerfile,
    )?.[1];
    expect(healthPath).toBe('/api/health');
    expect(await fs.readFile('src/http/health.routes.ts', 'utf8')).toContain(`'${healthPath}'`);
    // The image builds only what it needs, and runs as its own user.
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER mes-donnees$/m);
  });
});
