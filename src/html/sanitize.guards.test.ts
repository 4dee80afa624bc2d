import { describe, expect, it } from 'vitest';
import { htmlToText, sanitize } from './sanitize.ts';

/** What mutation testing found the sanitiser's tests did not pin down. */
describe('sanitize guards', () => {
  it('gives plain text: no tag kept, every run of white space one space, none at the ends', () => {
    expect(htmlToText('  <h1>Sortie</h1>\n\n<p>au   <em>musée</em>\t</p>  ')).toBe(
      'Sortie au musée',
    );
    expect(htmlToText('<a href="https://ent.example">lien</a><img src="/x" alt="photo">')).toBe(
      'lien',
    );
    expect(htmlToText('')).toBe('');
  });

  it('applies the allowlist, not sanitize-html defaults', () => {
    // sanitize-html's defaults keep <nav> and <abbr>, and images from anywhere; ours do not.
    expect(sanitize('<nav><abbr title="t">x</abbr></nav><p>y</p>')).toBe('x<p>y</p>');
    expect(sanitize('<img src="https://tracker.example/p.gif"><p>z</p>')).toBe('<p>z</p>');
  });
});
