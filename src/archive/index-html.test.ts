import { describe, expect, it } from 'vitest';
import { ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, type Manifest } from './format.ts';
import { formatBytes, renderIndexHtml } from './index-html.ts';

const NBSP = '\u00a0';
/** Intl puts a narrow non-breaking space between a number and its unit. */
const UNIT = '\u202f';

const head: Omit<Manifest, 'files'> = {
  format: ARCHIVE_FORMAT,
  formatVersion: ARCHIVE_FORMAT_VERSION,
  instance: { name: 'ENT du collège', publicKeyId: 'k1' },
  export: {
    id: 'e1',
    createdAt: '2026-12-05T08:05:42.123Z',
    options: { includeDocuments: true, includeShared: true },
  },
  user: { id: 'u1', login: 'eleve.demo', displayName: 'Emma Martin', profile: 'Student' },
  apps: {
    workspace: {
      label: 'Espace documentaire',
      folder: 'Espace documentaire',
      appVersion: '1.0.0',
      dataVersion: 1,
      status: 'partial',
      failed: [{ name: 'perdu.txt', code: 'document_unreadable' }],
      items: 3,
      bytes: 14_438,
    },
    blog: {
      label: 'Blog',
      folder: 'Blog',
      appVersion: '1.0.0',
      dataVersion: 1,
      status: 'complete',
      items: 1,
      bytes: 0,
    },
    calendar: {
      label: 'Agenda',
      folder: 'Agenda',
      appVersion: '1.0.0',
      dataVersion: 1,
      status: 'complete',
      items: 0,
      bytes: 0,
    },
  },
};

const files = [
  { path: 'Espace documentaire/documents.ndjson', size: 900 },
  { path: 'Espace documentaire/Mes documents/Mes devoirs/Volcan.png', size: 14_438 },
  { path: 'Espace documentaire/Mes documents/exposé.html', size: 2_000 },
  { path: 'Espace documentaire/Mes documents/logo.svg', size: 0 },
  { path: 'Espace documentaire/Mes documents/notes.json', size: 10 },
  { path: 'Blog/posts.ndjson', size: 300 },
  { path: 'Blog/Le blog de la 6e A/Les volcans _ ce que nous avons appris.html', size: 4_000 },
  { path: 'Agenda/Mon agenda.ics', size: 500 },
];
const pages = new Map([
  [
    'Blog/Le blog de la 6e A/Les volcans _ ce que nous avons appris.html',
    'Les volcans : ce que nous avons appris',
  ],
]);

const index = renderIndexHtml(head, files, pages);
/** The text a reader sees, tags removed. */
const text = index.replace(/<[^>]*>/g, ' ');

describe("the archive's index.html", () => {
  it('speaks the app’s words: real plurals, sizes and dates as the app shows them', () => {
    expect(formatBytes(14_438)).toBe(`14,1${UNIT}ko`);
    expect(formatBytes(512)).toBe(`512${UNIT}o`);
    expect(text).toContain(`3${NBSP}éléments, 14,1${UNIT}ko.`);
    expect(text).toContain(`1${NBSP}élément.`);
    expect(text).toContain('Rien à exporter.');
    expect(text).not.toContain('élément(s)');
    expect(text).not.toMatch(/\b0\s?o\b/);
    expect(text).toContain('5 décembre 2026 à 09:05');
    expect(text).not.toContain('09:05:42');
  });

  it('puts a non-breaking space before : ; ! ? and inside « »', () => {
    expect(text).toContain(`Cet élément n'a pas pu être copié${NBSP}:`);
    // The archive's own words; titles are the users', kept as they wrote them.
    const ours = text.replace('Les volcans : ce que nous avons appris', '');
    expect(ours).not.toMatch(/ [:;!?»]/);
    expect(ours).not.toMatch(/« /);
  });

  it('lists the apps’ pages by title, and every other file, uploaded .html and .svg included, as a file', () => {
    const pagesPart = index.slice(index.indexOf('Page à lire'));
    expect(pagesPart).toContain(
      '<a href="Blog/Le%20blog%20de%20la%206e%20A/Les%20volcans%20_%20ce%20que%20nous%20avons%20appris.html">Les volcans : ce que nous avons appris</a>',
    );
    // No page shown as a file path: only the document named so by its owner ends in .html.
    expect(text.match(/\S+\.html\b/g)).toEqual(['exposé.html']);
    expect(index).toContain(
      '<a href="Espace%20documentaire/Mes%20documents/expos%C3%A9.html">exposé.html</a>',
    );
    // The uploaded .html and .svg are files of the Espace documentaire, not pages.
    const workspace = index.slice(index.indexOf('id="workspace"'), index.indexOf('id="blog"'));
    expect(workspace).not.toContain('Page');
    expect(workspace).toContain('>logo.svg</a>');
    expect(workspace).toContain('<h4>Mes documents › Mes devoirs</h4>');
    // A user's JSON document is listed; the app's data files are not.
    expect(workspace).toContain('>notes.json</a>');
    expect(index).not.toContain('documents.ndjson');
    // The calendar's .ics is a file, not a page.
    const agenda = index.slice(index.indexOf('id="calendar"'));
    expect(agenda).toContain('<h3>Fichier</h3>');
    expect(agenda).not.toContain('Page');
  });
});
