import { fileTypeFromBuffer } from 'file-type';
import { describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { makeDocx, makePdf, makePng } from './demo-files.ts';

describe('demo files', () => {
  it('makes a PDF whose cross-reference table points at its objects', async () => {
    const pdf = makePdf('Titre (1)', ['Ligne é', 'Autre ligne']);
    expect((await fileTypeFromBuffer(pdf))?.mime).toBe('application/pdf');
    const text = pdf.toString('latin1');
    const startxref = Number(/startxref\n(\d+)/.exec(text)?.[1]);
    expect(text.slice(startxref, startxref + 4)).toBe('xref');
    const offsets = [...text.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) =>
      Number(m[1]),
    );
    expect(offsets).toHaveLength(5);
    offsets.forEach((off, i) => expect(text.slice(off, off + 8)).toBe(`${i + 1} 0 obj\n`));
  });

  it('makes a PNG of the asked size', async () => {
    const png = makePng(40, 30, 3);
    expect((await fileTypeFromBuffer(png))?.mime).toBe('image/png');
    expect(png.readUInt32BE(16)).toBe(40);
    expect(png.readUInt32BE(20)).toBe(30);
  });

  it('makes a DOCX holding the Office parts', async () => {
    const docx = await makeDocx('Titre', ['Paragraphe & <test>']);
    const names = await new Promise<string[]>((resolve, reject) => {
      yauzl.fromBuffer(docx, { lazyEntries: true }, (err, zip) => {
        if (err) return reject(err);
        const seen: string[] = [];
        zip.on('entry', (e: yauzl.Entry) => {
          seen.push(e.fileName);
          zip.readEntry();
        });
        zip.on('end', () => resolve(seen));
        zip.on('error', reject);
        zip.readEntry();
      });
    });
    expect(names).toEqual(['[Content_Types].xml', '_rels/.rels', 'word/document.xml']);
  });
});
