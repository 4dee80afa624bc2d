import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportThroughApi } from '../../../test/support/export-archive.ts';
import { buildBlog, buildBlogImage, buildPost, share } from '../../../test/support/factories.ts';
import { newSession, type Session } from '../../../test/support/session.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { makePng } from '../../demo/demo-files.ts';
import { WORKSPACE_FILES } from '../workspace/archive/workspace.records.ts';
import { documentUrl } from '../workspace/document-links.ts';
import { readerUrl } from './blog-html.ts';

/**
 * The one rule for documents shown through a blog (`ReadableDocuments`), live and in archives:
 * a document shows while it is out of the trash and one of the users who put it in the blog
 * may still read it; a disabled account vouches for nothing.
 */
describe.each(testDbKinds())('Blog documents on %s', (db) => {
  let s: TestServer;
  let dir: string;

  beforeAll(async () => {
    s = await createTestServer(db, 'local', { RATE_LIMIT_MAX: '100000' });
    s.t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-blog-documents-'));
  });
  afterAll(async () => {
    await s?.close();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  /** A class blog of a teacher, read by a pupil, where a colleague (contrib) posts a picture. */
  const blogWithPicture = async () => {
    const rt = s.t.runtime;
    const [owner, colleague, reader] = [
      await newSession(s, 'Teacher'),
      await newSession(s, 'Teacher'),
      await newSession(s, 'Student'),
    ];
    const blog = await buildBlog(rt, owner.user, { publicationPolicy: 'IMMEDIATE' });
    const ref = { app: 'blog', type: 'blog', id: blog.id };
    await share(rt, owner.user, ref, colleague.user, 'contrib');
    await share(rt, owner.user, ref, reader.user, 'read');
    const picture = await buildBlogImage(rt, colleague.user, blog, {
      name: 'photo-de-classe.png',
      bytes: makePng(10, 8, 5),
    });
    const post = await buildPost(rt, colleague.user, blog, {
      title: 'La photo de classe',
      content: `<p><img src="${documentUrl(picture.id)}" alt="La classe"></p>`,
    });
    expect(post.state).toBe('PUBLISHED');
    return { owner, colleague, reader, blog, picture };
  };

  const served = async (who: Session, blogId: string, documentId: string) =>
    (await who.request('GET', readerUrl(blogId, documentId))).statusCode;

  /** Whether the reader's archive carries the document and names it in the post's page. */
  const exported = async (who: Session, documentId: string) => {
    const a = await exportThroughApi(s, who, { apps: ['blog', 'workspace'] }, dir);
    expect(a.manifest.apps.blog).toMatchObject({ status: 'complete' });
    const documents = (await a.ndjson<{ id: string }>('Espace documentaire/documents.ndjson')).map(
      (r) => WORKSPACE_FILES.documents.schema.parse(r),
    );
    const page = a.names.find((n) => n.endsWith('/La photo de classe.html'));
    expect(page).toBeDefined();
    const html = await a.text(page ?? '');
    const named = html.includes('photo-de-classe.png');
    expect(named).toBe(!html.includes('[Image non disponible]'));
    return { inArchive: documents.some((d) => d.id === documentId), named };
  };

  it('stops showing and exporting a document once the only user vouching for it is disabled', async () => {
    const { colleague, reader, owner, blog, picture } = await blogWithPicture();
    expect(await served(reader, blog.id, picture.id)).toBe(200);
    expect(await exported(reader, picture.id)).toEqual({ inArchive: true, named: true });

    await s.t.runtime.platform.accounts.setDisabled(colleague.user.login, true);
    expect(await served(reader, blog.id, picture.id)).toBe(404);
    expect(await served(owner, blog.id, picture.id)).toBe(404);
    expect(await exported(reader, picture.id)).toEqual({ inArchive: false, named: false });

    // Enabled again, the account vouches again: the rule reads the account's state now.
    await s.t.runtime.platform.accounts.setDisabled(colleague.user.login, false);
    expect(await served(reader, blog.id, picture.id)).toBe(200);
  });

  it('stops showing and exporting a document once it is in the trash', async () => {
    const { colleague, reader, blog, picture } = await blogWithPicture();
    expect(await served(reader, blog.id, picture.id)).toBe(200);

    await s.t.runtime.apps.workspace.trashDocument(colleague.user, picture.id);
    expect(await served(reader, blog.id, picture.id)).toBe(404);
    expect(await served(colleague, blog.id, picture.id)).toBe(404);
    expect(await exported(reader, picture.id)).toEqual({ inArchive: false, named: false });
  });
});
