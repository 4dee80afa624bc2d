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

/**
 * The allowlist pinned name by name (its own copy here, on purpose: a test reading the list it
 * checks could not fail). Each tag, attribute and scheme kept is a promise to the apps' users;
 * each left out is a defence.
 */
describe('sanitize allowlist', () => {
  const TAGS = [
    ...['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code'],
    ...['strong', 'b', 'em', 'i', 'u', 's', 'sub', 'sup', 'mark', 'small', 'span', 'div'],
    ...['ul', 'ol', 'li', 'dl', 'dt', 'dd', 'a', 'figure', 'figcaption'],
    ...['table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption'],
  ];

  it.each(TAGS)('keeps <%s>', (tag) => {
    expect(sanitize(`<${tag}>x</${tag}>`)).toBe(`<${tag}>x</${tag}>`);
  });

  it('keeps the empty elements <br>, <hr> and our images', () => {
    expect(sanitize('a<br>b<hr><img src="/d/1">')).toBe('a<br />b<hr /><img src="/d/1" />');
  });

  it.each([
    'script',
    'style',
    'iframe',
    'frame',
    'object',
    'embed',
    'form',
    'input',
    'button',
    'textarea',
    'select',
    'svg',
    'math',
    'link',
    'meta',
    'base',
    'video',
    'audio',
    'nav',
    'abbr',
  ])('drops <%s>', (tag) => {
    expect(sanitize(`<div>a<${tag}></${tag}>b</div>`)).toBe('<div>ab</div>');
  });

  it.each([
    ['a', ['href="https://ent.example/"', 'title="t"', 'target="_self"', 'rel="next"']],
    ['img', ['src="/d/1"', 'alt="photo"', 'title="t"', 'width="10"', 'height="20"']],
    ['th', ['colspan="2"', 'rowspan="3"', 'scope="col"']],
    ['td', ['colspan="2"', 'rowspan="3"']],
    ['ol', ['start="4"']],
    ['p', ['lang="fr"', 'dir="rtl"']],
    ['td', ['lang="fr"', 'dir="ltr"']],
  ])('keeps the attributes of <%s> it allows', (tag, attributes) => {
    const open = `<${tag} ${attributes.join(' ')}>`;
    expect(sanitize(`${open}x</${tag}>`)).toContain(
      open.replace(/>$/, tag === 'img' ? ' />' : '>'),
    );
  });

  it('drops every other attribute: handlers, style, class, id, one tag’s attribute on another', () => {
    expect(
      sanitize(
        '<p onclick="x()" style="color:red" class="c" id="i" href="https://a.example/" colspan="2" start="3" src="/d/1">t</p>',
      ),
    ).toBe('<p>t</p>');
    expect(sanitize('<td scope="row" alt="a">t</td>')).toBe('<td>t</td>');
    expect(sanitize('<ol colspan="2">t</ol>')).toBe('<ol>t</ol>');
  });

  it.each([
    ['https://ent.example/a', true],
    ['http://ent.example/a', true],
    ['mailto:prof@ent.example', true],
    ['/wiki/w1', true],
    ['javascript:alert(1)', false],
    ['data:text/html,x', false],
    ['vbscript:x', false],
    ['ftp://ent.example/a', false],
    ['//evil.example/a', false],
  ])('a link to %s is kept: %s', (href, kept) => {
    expect(sanitize(`<a href="${href}">x</a>`)).toBe(kept ? `<a href="${href}">x</a>` : '<a>x</a>');
  });

  it.each([
    ['/api/workspace/documents/1/content', true],
    ['data:image/png;base64,AAAA', true],
    ['data:image/jpeg;base64,AAAA', true],
    ['data:image/gif;base64,AAAA', true],
    ['data:image/webp;base64,AAAA', true],
    ['DATA:IMAGE/PNG;base64,AAAA', true],
    ['data:image/svg+xml;base64,AAAA', false],
    ['data:image/pngx;base64,AAAA', false],
    ['xdata:image/png;base64,AAAA', false],
    ['data:text/html;base64,AAAA', false],
    ['https://tracker.example/p.gif', false],
    ['http://tracker.example/p.gif', false],
    ['//tracker.example/p.gif', false],
    ['/d/1//', true],
    ['d/1', false],
    ['d/data:image/png;base64,AAAA', false],
    ['', false],
  ])('an image from %s is kept: %s', (src, kept) => {
    expect(sanitize(`<p><img src="${src}" alt="a">t</p>`)).toBe(
      kept ? `<p><img src="${src}" alt="a" />t</p>` : '<p>t</p>',
    );
  });

  it('drops an image without a source', () => {
    expect(sanitize('<p><img alt="a">t</p>')).toBe('<p>t</p>');
  });

  it('makes a link that opens a new tab unable to reach our window; others keep their rel', () => {
    expect(sanitize('<a href="/w" target="_blank" rel="opener">x</a>')).toBe(
      '<a href="/w" target="_blank" rel="noopener noreferrer">x</a>',
    );
    expect(sanitize('<a href="/w" target="_self" rel="opener">x</a>')).toBe(
      '<a href="/w" target="_self" rel="opener">x</a>',
    );
  });
});
