import { describe, expect, it } from 'vitest';
import { XSS_PAYLOADS as PAYLOADS, expectInert } from '../../test/support/xss-payloads.ts';
import { htmlToText, sanitize } from './sanitize.ts';

describe('sanitize', () => {
  it.each(PAYLOADS)('leaves %s inert', (payload) => {
    expectInert(sanitize(payload));
  });

  it('keeps formatting, our document images and our links', () => {
    const html =
      '<h2>Titre</h2><p>Du <strong>gras</strong> et <em>italique</em>.</p>' +
      '<p><img src="/api/workspace/documents/0192/content" alt="photo"></p>' +
      '<p><a href="/wiki/w1/pages/p2">page suivante</a> <a href="https://eduscol.education.fr" target="_blank">lien</a></p>' +
      '<ul><li>un</li></ul><table><tr><td colspan="2">case</td></tr></table>';
    const out = sanitize(html);
    expect(out).toContain('<img src="/api/workspace/documents/0192/content" alt="photo" />');
    expect(out).toContain('<a href="/wiki/w1/pages/p2">page suivante</a>');
    expect(out).toContain('rel="noopener noreferrer"');
    expect(out).toContain('<td colspan="2">case</td>');
    expect(out).toContain('<strong>gras</strong>');
  });

  it('turns HTML into plain text', () => {
    expect(htmlToText('<p>Bonjour <b>à</b>\n tous<script>x</script></p>')).toBe('Bonjour à tous');
  });
});
