import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  buildDocument,
  buildGroup,
  buildPage,
  buildWiki,
  makeUser,
  share,
} from '../../../../test/support/factories.ts';
import { testDbKinds } from '../../../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../../../test/support/test-server.ts';
import { exportThroughApi, type ExportedArchive } from '../../../../test/support/export-archive.ts';
import type { AppExportWriter, ArchiveAdapter, RecordFile } from '../../../archive/adapter.ts';
import { allTrustedKeys } from '../../../archive/keys.ts';
import { verifyArchive } from '../../../archive/verify.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { Wiki, WikiPage } from '../wiki.service.ts';
import { WORKSPACE_FILES } from '../../workspace/archive/workspace.records.ts';
import { PAGES_FILE, REVISIONS_FILE, WIKIS_FILE } from './wiki.records.ts';

type Headers = { inject: Record<string, string>; http: Record<string, string> };

/** An exported archive, its entries read as text at once (test archives are small). */
type Archive = Omit<ExportedArchive, 'text'> & { text(name: string): string };

/** The records of an NDJSON data file of an app's folder, each parsed with the file's schema. */
function records<S extends z.ZodType>(
  a: Archive,
  file: RecordFile<S>,
  folder = 'Cours et Wiki',
): z.output<S>[] {
  return a
    .text(`${folder}/${file.name}`)
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => file.schema.parse(JSON.parse(l)));
}

const documentsOf = (a: Archive) => records(a, WORKSPACE_FILES.documents, 'Espace documentaire');

/** The hrefs of the links of an HTML file, but its link back to `index.html`. */
function hrefs(html: string): string[] {
  return [...html.matchAll(/<a [^>]*href="([^"]*)"/g)]
    .map((m) => (m[1] ?? '').replace(/&amp;/g, '&'))
    .filter((h) => h !== '../../index.html');
}

/** Where a relative link of the archive file `from` leads, as an archive path. */
function resolve(from: string, href: string): string {
  const target = decodeURIComponent(href.replace(/#.*$/, ''));
  return path.posix.normalize(path.posix.join(path.posix.dirname(from), target));
}

const link = (wikiId: string, pageId: string, hash = '') =>
  `/wiki/${wikiId}/pages/${pageId}${hash}`;
const image = (id: string) => `<img src="/api/workspace/documents/${id}/content" alt="schéma">`;

describe.each(testDbKinds())('Cours et Wiki archive export on %s', (db) => {
  let s: TestServer;
  let dir: string;
  let teacher: User;
  let pupil: User;
  let ph: Headers;
  let course: Wiki;
  let notes: Wiki;
  let intro: WikiPage;
  let chapter1: WikiPage;
  let chapter2: WikiPage;
  let exercises: WikiPage;
  let sheet: WikiPage;
  let sharedDocId = '';
  let privateDocId = '';

  beforeAll(async () => {
    s = await createTestServer(db, 'local', { RATE_LIMIT_MAX: '100000' });
    s.t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-wiki-export-'));
    const rt = s.t.runtime;
    const { platform, apps } = rt;
    teacher = await makeUser(platform, 'Teacher');
    pupil = await makeUser(platform, 'Student');
    ph = await s.login(pupil.login);
    const group = await buildGroup(s.t.runtime, [pupil]);

    const sharedDoc = await buildDocument(rt, teacher, {
      name: 'Schéma de la cellule.png',
      bytes: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
    });
    sharedDocId = sharedDoc.id;
    await share(rt, teacher, { app: 'workspace', type: 'document', id: sharedDoc.id }, pupil);
    const privateDoc = await buildDocument(rt, teacher, {
      name: 'Corrigé du contrôle.txt',
      bytes: 'réponses',
    });
    privateDocId = privateDoc.id;

    course = await buildWiki(rt, teacher, {
      title: 'Cours de sciences',
      description: 'Le cours de SVT',
    });
    intro = await buildPage(rt, teacher, course, {
      title: 'Introduction',
      content: '<p>Bienvenue</p>',
    });
    chapter1 = await buildPage(rt, teacher, course, {
      title: 'Chapitre',
      content: '<p>Le premier chapitre</p>',
    });
    chapter2 = await buildPage(rt, teacher, course, {
      title: 'chapitre',
      content: `<p>Le second chapitre ${image(sharedDoc.id)}</p>`,
    });
    exercises = await buildPage(rt, teacher, course, {
      title: 'Exercices: corrigés?',
      content: `<p>Voir <a href="${link(course.id, chapter1.id)}">le chapitre</a>.</p>`,
      parentId: chapter1.id,
    });
    // An edit: the first version becomes a revision, and the links are recorded.
    intro = await apps.wiki.updatePage(teacher, course.id, intro.id, {
      content: `<p>Bienvenue. Lire <a href="${link(course.id, chapter2.id, '#debut')}">le second chapitre</a> et <a href="${link(course.id, exercises.id)}">les exercices</a>.</p>`,
    });
    await share(rt, teacher, { app: 'wiki', type: 'wiki', id: course.id }, group, 'read');

    // The pupil's own wiki, titled like the teacher's: its folder is numbered.
    notes = await buildWiki(rt, pupil, { title: 'Cours de sciences' });
    sheet = await buildPage(rt, pupil, notes, {
      title: 'Fiche de révision',
      content: `<p>Voir <a href="${link(course.id, intro.id)}">le cours</a>. ${image(sharedDoc.id)} ${image(privateDoc.id)}</p>`,
    });
  });

  afterAll(async () => {
    await s.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function exportAs(
    h: Headers,
    body: { apps: string[]; includeShared?: boolean },
  ): Promise<Archive> {
    const archive = await exportThroughApi(s, h, body, dir);
    expect(archive.progress.wiki).toMatchObject({ status: 'complete' });
    expect(archive.progress.wiki?.items).toBe(archive.progress.wiki?.itemsTotal);
    const entries = await archive.entries();
    const text = (name: string) => {
      const b = entries.get(name);
      if (b === undefined) throw new Error(`${name} is not in the archive`);
      return b.toString('utf8');
    };
    return { ...archive, text };
  }

  const verified = async (file: string) =>
    verifyArchive(file, await allTrustedKeys(await s.t.runtime.instanceKey(), s.t.config));

  it('exports a reader’s wikis as JSON and as linked HTML pages', async () => {
    const apps = await s.app.inject({
      method: 'GET',
      url: '/api/archive/apps',
      headers: ph.inject,
    });
    const listed = apps
      .json<{ items: { id: string; items: number }[] }>()
      .items.find((a) => a.id === 'wiki');
    // Two wikis, four + one pages.
    expect(listed?.items).toBe(7);

    const a = await exportAs(ph, { apps: ['wiki', 'workspace'] });
    expect(a.manifest.apps.wiki).toMatchObject({
      status: 'complete',
      folder: 'Cours et Wiki',
      items: 7,
    });

    const wikis = WIKIS_FILE.schema.parse(JSON.parse(a.text('Cours et Wiki/wikis.json')));
    expect(wikis.map((w) => [w.id, w.title, w.owned, w.access, w.folder])).toEqual([
      [course.id, 'Cours de sciences', false, 'read', 'Cours et Wiki/Cours de sciences'],
      [notes.id, 'Cours de sciences', true, 'owner', 'Cours et Wiki/Cours de sciences (2)'],
    ]);
    expect(wikis[0]).toMatchObject({ description: 'Le cours de SVT', ownerId: teacher.id });

    // Pages: as the API gives them, with their links and their .html copy.
    const pages = records(a, PAGES_FILE);
    expect(pages.map((p) => p.id).sort()).toEqual(
      [intro.id, chapter1.id, chapter2.id, exercises.id, sheet.id].sort(),
    );
    for (const original of [intro, chapter1, chapter2, exercises, sheet]) {
      const p = pages.find((x) => x.id === original.id);
      expect(p).toMatchObject({
        wikiId: original.wikiId,
        parentId: original.parentId,
        order: original.order,
        title: original.title,
        content: original.content,
        authorId: original.authorId,
        createdAt: new Date(original.createdAt).toISOString(),
        modifiedAt: new Date(original.modifiedAt).toISOString(),
      });
    }
    const byId = new Map(pages.map((p) => [p.id, p]));
    expect(byId.get(intro.id)?.links.sort()).toEqual([chapter2.id, exercises.id].sort());
    expect(byId.get(exercises.id)?.links).toEqual([chapter1.id]);
    // "Chapitre" and "chapitre" differ only by case: the second in tree order is numbered.
    expect([intro, chapter1, chapter2, exercises, sheet].map((p) => byId.get(p.id)?.path)).toEqual([
      'Cours et Wiki/Cours de sciences/Introduction.html',
      'Cours et Wiki/Cours de sciences/Chapitre.html',
      'Cours et Wiki/Cours de sciences/chapitre (2).html',
      'Cours et Wiki/Cours de sciences/Exercices_ corrigés_.html',
      'Cours et Wiki/Cours de sciences (2)/Fiche de révision.html',
    ]);

    // Revisions: the version of the introduction before its edit.
    const revisions = records(a, REVISIONS_FILE);
    expect(revisions).toEqual([
      expect.objectContaining({
        pageId: intro.id,
        title: 'Introduction',
        content: '<p>Bienvenue</p>',
        authorId: teacher.id,
      }),
    ]);

    // Each page as a complete HTML document that opens offline.
    for (const p of pages) {
      const html = a.text(p.path ?? '');
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('<meta charset="utf-8">');
      expect(html).toContain(
        `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'">`,
      );
      expect(html).toContain('<a href="../../index.html">');
      expect(html).toContain(`<h1>${p.title.replace(/&/g, '&amp;')}</h1>`);
      expect(html).not.toMatch(/<script/i);
    }
    // In-wiki links lead to the right page's file, collisions and fragments included.
    const introPath = byId.get(intro.id)?.path ?? '';
    const introLinks = hrefs(a.text(introPath));
    expect(introLinks).toContain('chapitre%20(2).html#debut');
    const toChapter2 = resolve(introPath, 'chapitre%20(2).html#debut');
    expect(a.names).toContain(toChapter2);
    expect(a.text(toChapter2)).toContain('Le second chapitre');
    const exercisesPath = byId.get(exercises.id)?.path ?? '';
    const toChapter1 = hrefs(a.text(exercisesPath)).map((h) => resolve(exercisesPath, h));
    expect(toChapter1).toContain('Cours et Wiki/Cours de sciences/Chapitre.html');
    expect(a.text('Cours et Wiki/Cours de sciences/Chapitre.html')).toContain(
      'Le premier chapitre',
    );
    // Every relative link of every page leads to a file of the archive.
    for (const p of pages) {
      for (const h of hrefs(a.text(p.path ?? ''))) {
        expect(h.startsWith('/'), `${p.title}: ${h}`).toBe(false);
        expect(a.names, `${p.title}: ${h}`).toContain(resolve(p.path ?? '', h));
      }
    }
    // Across wikis: the pupil's sheet links to the course's introduction.
    const sheetPath = byId.get(sheet.id)?.path ?? '';
    expect(hrefs(a.text(sheetPath)).map((h) => resolve(sheetPath, h))).toEqual([introPath]);
    // The sub-page is listed on its parent, and the parent is in its breadcrumb.
    expect(hrefs(a.text(byId.get(chapter1.id)?.path ?? ''))).toContain(
      encodeURIComponent('Exercices_ corrigés_.html'),
    );
    expect(hrefs(a.text(exercisesPath))).toContain('Chapitre.html');

    // Documents: named in the copies, readable ones in the archive, the others not.
    const sheetHtml = a.text(sheetPath);
    expect(sheetHtml).toContain('[Image non disponible]');
    expect(sheetHtml).not.toContain('/api/workspace/documents');
    const documents = documentsOf(a);
    // The readable one is shown from its file, by a path relative to the page.
    const src = /<img src="([^"]+)" alt="schéma"/.exec(sheetHtml)?.[1] ?? '';
    expect(resolve(sheetPath, src)).toBe(documents.find((d) => d.id === sharedDocId)?.path);
    expect(documents.find((d) => d.id === sharedDocId)?.section).toBe('shared');
    expect(documents.find((d) => d.id === privateDocId)).toBeUndefined();

    const verdict = await verified(a.file);
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it('without shared content: only the reader’s wiki, and the documents its pages show', async () => {
    const a = await exportAs(ph, { apps: ['wiki', 'workspace'], includeShared: false });
    expect(a.manifest.apps.wiki).toMatchObject({ status: 'complete', items: 2 });
    const wikis = WIKIS_FILE.schema.parse(JSON.parse(a.text('Cours et Wiki/wikis.json')));
    expect(wikis).toEqual([
      expect.objectContaining({ id: notes.id, folder: 'Cours et Wiki/Cours de sciences' }),
    ]);
    const pages = records(a, PAGES_FILE);
    expect(pages.map((p) => p.id)).toEqual([sheet.id]);
    // The link to the course, not in this archive, leads nowhere offline: plain text.
    expect(hrefs(a.text(pages[0]?.path ?? ''))).toEqual([]);
    expect(a.text(pages[0]?.path ?? '')).toContain('<span>le cours</span>');
    expect(a.text('Cours et Wiki/revisions.ndjson')).toBe('');
    // The image shared with the pupil comes in only because the page shows it.
    const documents = documentsOf(a);
    expect(documents.map((d) => d.id)).toEqual([sharedDocId]);
    expect(documents[0]?.path).toBe(
      'Espace documentaire/Partagés avec moi/Schéma de la cellule.png',
    );
    expect(a.names).toContain(documents[0]?.path);
    expect((await verified(a.file)).ok).toBe(true);
  });

  it('keeps long titles within name limits, extension and links intact', async () => {
    const rt = s.t.runtime;
    const { platform, apps } = rt;
    const author = await makeUser(platform, 'Student');
    const long = 'é'.repeat(300);
    const wiki = await apps.wiki.createWiki(author, { title: long });
    const first = await apps.wiki.createPage(author, wiki.id, {
      title: long,
      content: '<p>un</p>',
    });
    const second = await apps.wiki.createPage(author, wiki.id, {
      title: long,
      content: `<p><a href="${link(wiki.id, first.id)}">avant</a></p>`,
    });
    const a = await exportAs(await s.login(author.login), { apps: ['wiki'] });
    const pages = records(a, PAGES_FILE);
    const paths = [first, second].map((p) => pages.find((x) => x.id === p.id)?.path ?? '');
    for (const p of paths) {
      expect(p).toMatch(/\.html$/);
      for (const part of p.split('/')) expect(Buffer.byteLength(part)).toBeLessThanOrEqual(200);
    }
    expect(paths[1]).toMatch(/ \(2\)\.html$/);
    const back = hrefs(a.text(paths[1] ?? '')).map((h) => resolve(paths[1] ?? '', h));
    expect(back).toEqual([paths[0]]);
    expect((await verified(a.file)).ok).toBe(true);
  });

  it('never counts a trashed document as readable, even the reader’s own', async () => {
    const rt = s.t.runtime;
    const { platform, apps } = rt;
    const author = await makeUser(platform, 'Student');
    const kept = await apps.workspace.upload(author, {
      name: 'Gardé.png',
      body: Readable.from([Buffer.from('89504e470d0a1a0a', 'hex')]),
    });
    const trashed = await apps.workspace.upload(author, {
      name: 'Jeté.png',
      body: Readable.from([Buffer.from('89504e470d0a1a0a', 'hex')]),
    });
    const wiki = await apps.wiki.createWiki(author, { title: 'Mes fiches' });
    await apps.wiki.createPage(author, wiki.id, {
      title: 'Fiche',
      content: `<p>${image(kept.id)} ${image(trashed.id)}</p>`,
    });
    await apps.workspace.trashDocument(author, trashed.id);

    const a = await exportAs(await s.login(author.login), { apps: ['wiki', 'workspace'] });
    const documents = documentsOf(a);
    // The trash itself is exported as the trash; the page does not vouch for what is in it.
    expect(documents.find((d) => d.id === kept.id)?.section).toBe('mine');
    expect(documents.find((d) => d.id === trashed.id)?.section).toBe('trash');
    const [page] = records(a, PAGES_FILE);
    const html = a.text(page?.path ?? '');
    expect(html).toMatch(/<img src="[^"]*Gard%C3%A9\.png" alt="schéma"/);
    expect(html).not.toContain('Jeté.png');
    expect(html).toContain('[Image non disponible]');

    // What the page hands the Espace documentaire: not the trashed one.
    const { referenced } = await runAdapter(author, new AbortController().signal);
    expect([...referenced]).toEqual([kept.id]);
  });

  /** Runs the wiki's adapter as `user` with a writer that keeps what it is given. */
  async function runAdapter(user: User, signal: AbortSignal) {
    const found = s.t.runtime.apps.list.find((a) => a.id === 'wiki')?.archive;
    if (found === undefined) throw new Error('Cours et Wiki has no archive adapter');
    const adapter: ArchiveAdapter = found;
    const progress: { items?: number; bytes?: number }[] = [];
    const referenced = new Set<string>();
    const written: string[] = [];
    const writer: AppExportWriter = {
      folder: 'Cours et Wiki',
      json: async (file, value) => {
        written.push(JSON.stringify(file.schema.parse(value)));
        return `Cours et Wiki/${file.name}`;
      },
      ndjson: async (file, rows) => {
        for await (const row of rows) written.push(JSON.stringify(file.schema.parse(row)));
        return `Cours et Wiki/${file.name}`;
      },
      text: async (d, name) => {
        written.push(`${d}/${name}`);
        return `${d}/${name}`;
      },
      file: async (d, name) => `${d}/${name}`,
      progress: (delta) => progress.push(delta),
      failed: () => undefined,
    };
    const summary = await adapter.export(
      {
        user,
        options: { includeDocuments: true, includeShared: true },
        signal,
        referenceDocuments: (ids) => {
          for (const id of ids) referenced.add(id);
        },
        referencedDocuments: () => referenced,
      },
      writer,
    );
    return { summary, progress, referenced, written };
  }

  it('reports progress per page and stops when the export is cancelled', async () => {
    const run = (signal: AbortSignal) => runAdapter(teacher, signal);
    const { summary, progress, referenced, written } = await run(new AbortController().signal);
    // One wiki, four pages: one progress step per page, then the wiki.
    expect(summary.items).toBe(5);
    expect(progress.flatMap((p) => (p.items === undefined ? [] : [p.items]))).toEqual([
      1, 1, 1, 1, 1,
    ]);
    expect(written.filter((w) => w.endsWith('.html'))).toHaveLength(4);
    expect([...referenced]).toEqual([sharedDocId]);

    const controller = new AbortController();
    controller.abort();
    await expect(run(controller.signal)).rejects.toThrow(/abort/i);
  });
});
