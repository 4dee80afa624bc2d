import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '../../test/support/test-runtime.ts';
import { z } from 'zod';
import type { ArchiveAdapter } from './adapter.ts';
import { isoDate, recordFile, recordId, ref } from './records.ts';
import {
  renderRecordsSection,
  RECORDS_END,
  RECORDS_START,
  withRecordsSection,
} from './records-doc.ts';

const DOC = path.resolve('docs/archive-format.md');

// The page is made from the schemas; the registry (not a list here) says which apps export.
let t: TestRuntime;
let adapters: ArchiveAdapter[];
beforeAll(async () => {
  t = await createTestRuntime('sqlite');
  adapters = t.runtime.apps.list.flatMap((a) => (a.archive === undefined ? [] : [a.archive]));
});
afterAll(async () => {
  await t.destroy();
});

describe('docs/archive-format.md', () => {
  it('describes every data file as its schema says (else: node scripts/archive-format.ts)', async () => {
    const doc = await fs.readFile(DOC, 'utf8');
    const section = renderRecordsSection(adapters);
    expect(withRecordsSection(doc, section), 'run node scripts/archive-format.ts').toBe(doc);
  });

  it('names every file and every reference of every app', () => {
    const section = renderRecordsSection(adapters);
    expect(section.startsWith(RECORDS_START) && section.endsWith(RECORDS_END)).toBe(true);
    for (const a of adapters) {
      expect(section).toContain(`(\`${a.app}\`, data version ${a.dataVersion})`);
      for (const f of a.records) expect(section).toContain(`#### \`${f.name}\``);
    }
    expect(section).toContain('→ workspace/document');
  });

  it('renders kinds, optional and nullable fields, enums, nested objects and references', () => {
    const events = recordFile(
      'events.ndjson',
      'ndjson',
      z.strictObject({
        id: recordId(),
        state: z.enum(['A', 'B']),
        note: z.string().describe('Free | text').optional(),
        at: isoDate().nullable(),
        attachments: z.array(ref('workspace/document')),
        place: z.strictObject({ name: z.string(), iconId: ref('workspace/document').nullable() }),
      }),
      'Events.',
    );
    const section = renderRecordsSection([
      { app: 'calendar', label: 'Agenda', dataVersion: 2, records: [events] },
    ]);
    expect(section).toContain('### Agenda (`calendar`, data version 2)');
    expect(section).toContain('NDJSON: one record a line');
    for (const row of [
      '| `state` | one of `A`, `B` |  |',
      '| `note` | string | optional; Free \\| text |',
      '| `at` | date-time (ISO 8601) or null |  |',
      '| `attachments` | array of string | each → workspace/document |',
      '| `place.iconId` | string or null | → workspace/document |',
    ])
      expect(section).toContain(row);
  });
});
