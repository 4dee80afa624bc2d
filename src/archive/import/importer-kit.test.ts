import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { memoryIdMap, memoryReader } from '../../../test/support/import-fixtures.ts';
import { ImportItemError, type RecordFile } from '../adapter.ts';
import { AppError } from '../../errors.ts';
import {
  allocatedId,
  analyzeRecords,
  checked,
  earlierInPlace,
  recordProblem,
  recordsOf,
} from './importer-kit.ts';

const record = z.strictObject({ id: z.string() });
const LISTS: RecordFile = {
  name: 'lists.json',
  kind: 'json',
  schema: z.array(record),
  description: '',
};
const ROWS: RecordFile = { name: 'rows.ndjson', kind: 'ndjson', schema: record, description: '' };

describe('importer kit', () => {
  it('counts the records of each file, and reports one that breaks its schema with its line', async () => {
    const files = { list: LISTS, row: ROWS };
    const good = memoryReader('Toy', {
      'lists.json': [{ id: 'a' }, { id: 'b' }],
      'rows.ndjson': [{ id: '1' }],
    });
    expect(await analyzeRecords(good, files)).toEqual({
      counts: { list: 2, row: 1 },
      bytes: 0,
      problems: [],
    });
    const broken = memoryReader('Toy', { 'rows.ndjson': [{ id: '1' }, { id: 2 }, { id: '3' }] });
    expect(await analyzeRecords(broken, files)).toEqual({
      counts: { list: 0, row: 1 },
      bytes: 0,
      problems: [
        {
          code: 'record_invalid',
          file: 'Toy/rows.ndjson',
          line: 2,
          message: 'rows.ndjson:2: invalid',
        },
      ],
    });
  });

  it('reads the records of a file, none when the archive lacks it', async () => {
    const read = async (reader: ReturnType<typeof memoryReader>) => {
      const ids = [];
      for await (const r of recordsOf(reader, ROWS)) ids.push(r);
      return ids;
    };
    expect(await read(memoryReader('Toy', { 'rows.ndjson': [{ id: '1' }, { id: '2' }] }))).toEqual([
      { id: '1' },
      { id: '2' },
    ]);
    expect(await read(memoryReader('Toy', {}))).toEqual([]);
  });

  it('says where a problem is: the error’s file and line, else the caller’s', () => {
    expect(recordProblem(new Error('bad'), 'x.ndjson', 4)).toEqual({
      code: 'record_invalid',
      file: 'x.ndjson',
      line: 4,
      message: 'bad',
    });
    expect(recordProblem('bad', 'x.json')).toEqual({
      code: 'record_invalid',
      file: 'x.json',
      message: 'bad',
    });
  });

  it('finds an earlier copy still in place, never the item itself', async () => {
    const here = new Set(['mine', 'earlier']);
    const inPlace = (id: string) => Promise.resolve(here.has(id));
    expect(await earlierInPlace({ id: 'mine' }, ['gone', 'mine', 'earlier'], inPlace)).toBe(
      'earlier',
    );
    expect(await earlierInPlace({ id: 'mine' }, ['mine', 'gone'], inPlace)).toBeUndefined();
  });

  it('gives the allocated id, and fails the item when there is none', async () => {
    const ids = memoryIdMap({ 'news/item/i1': 'N1' });
    expect(await allocatedId('news', { type: 'item', sourceId: 'i1' }, ids)).toBe('N1');
    await expect(allocatedId('news', { type: 'item', sourceId: 'i2' }, ids)).rejects.toMatchObject({
      code: 'import_failed',
    });
  });

  it('turns what the app’s own checks refuse into an invalid record, and nothing else', () => {
    const refused = () =>
      checked(() => {
        throw new AppError('invalid_request', 'Titre trop long');
      });
    expect(refused).toThrow(ImportItemError);
    expect(refused).toThrow(expect.objectContaining({ code: 'record_invalid' }));
    expect(() =>
      checked(() => {
        throw new Error('disk');
      }),
    ).toThrow('disk');
    expect(checked(() => 3)).toBe(3);
  });
});
