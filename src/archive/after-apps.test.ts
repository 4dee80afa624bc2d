import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/factories.ts';
import type { ArchiveAdapter } from './adapter.ts';
import { buildArchive } from './archive-builder.ts';
import { allTrustedKeys } from './keys.ts';
import { verifyArchive } from './verify.ts';
import { listEntries, openZip, readEntry } from './zip-reader.ts';

describe('pages written once every app is (ctx.afterApps)', () => {
  it('get the workspace documents’ paths, add to their app, and fail only their app', async () => {
    const { createTestRuntime } = await import('../../test/support/test-runtime.ts');
    const t = await createTestRuntime('sqlite');
    try {
      const user = await makeUser(t.runtime.platform, 'Student');
      // Stand-ins under the ids of real apps (the manifest only knows those).
      const workspace: ArchiveAdapter = {
        app: 'workspace',
        label: 'Espace documentaire',
        appVersion: '1',
        dataVersion: 1,
        dependsOn: [],
        records: [],
        count: async () => ({ items: 1, bytes: 3 }),
        async export(_ctx, out) {
          await out.file(
            `${out.folder}/Partagés avec moi`,
            'Volcan.png',
            Readable.from([Buffer.from('png')]),
            {
              size: 3,
              contentType: 'image/png',
              documentId: 'd1',
            },
          );
          return { items: 1, bytes: 3 };
        },
      };
      const blog: ArchiveAdapter = {
        app: 'blog',
        label: 'Blog',
        appVersion: '1',
        dataVersion: 1,
        dependsOn: ['workspace'],
        records: [],
        count: async () => ({ items: 1, bytes: 0 }),
        async export(ctx, out) {
          ctx.afterApps?.(async (paths) => {
            const html = `<img src="${paths.pathOf('d1') ?? 'absent'}">`;
            await out.text(`${out.folder}/Classe`, 'Les volcans.html', html, 'text/html', {
              title: 'Les volcans : un titre',
            });
            out.failed({ name: 'Billet perdu', code: 'document_unreadable' });
            return { items: 0, bytes: html.length };
          });
          return { items: 1, bytes: 0 };
        },
      };
      const news: ArchiveAdapter = {
        app: 'news',
        label: 'Actualités',
        appVersion: '1',
        dataVersion: 1,
        dependsOn: ['workspace'],
        records: [],
        count: async () => ({ items: 1, bytes: 0 }),
        async export(ctx) {
          ctx.afterApps?.(async () => {
            throw new Error('pages of the app are down');
          });
          return { items: 1, bytes: 0 };
        },
      };
      const key = await t.runtime.instanceKey();
      const file = path.join(t.dataDir, 'a.zip');
      const logged: string[] = [];
      const result = await buildArchive(
        {
          exportId: 'x',
          user,
          adapters: [blog, news, workspace],
          options: { includeDocuments: true, includeShared: true },
          key,
          instance: { name: 'Test' },
          now: new Date(),
          signal: new AbortController().signal,
          onAppError: (app) => logged.push(app),
        },
        async (zip) => {
          await fs.writeFile(file, zip);
        },
      );
      const zip = await openZip(file);
      const entries = await listEntries(zip);
      const read = async (name: string) => {
        const e = entries.find((x) => x.name === name);
        if (e === undefined) throw new Error(`no ${name}`);
        return (await readEntry(zip, e, 1e6)).toString('utf8');
      };
      const page = await read('Blog/Classe/Les volcans.html');
      expect(page).toBe('<img src="Espace documentaire/Partagés avec moi/Volcan.png">');
      expect(result.manifest.apps.blog).toMatchObject({
        status: 'partial',
        failed: [{ name: 'Billet perdu', code: 'document_unreadable' }],
        items: 1,
        bytes: page.length,
      });
      expect(result.manifest.apps.news).toMatchObject({ status: 'failed', error: 'app_failed' });
      expect(logged).toEqual(['news']);
      expect(result.manifest.apps.workspace).toMatchObject({ status: 'complete' });
      // index.html lists the page by its title.
      expect(await read('index.html')).toContain('>Les volcans : un titre</a>');
      zip.close();
      expect((await verifyArchive(file, await allTrustedKeys(key, t.config))).ok).toBe(true);
    } finally {
      await t.destroy();
    }
  });
});
