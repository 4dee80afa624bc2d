import { expect } from 'vitest';

/** Classic XSS vectors (OWASP cheat sheet style): none may survive as live markup. */
export const XSS_PAYLOADS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<img src="/api/workspace/documents/1/content" onload="alert(1)">',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JaVaScRiPt:alert(1)">x</a>',
  '<a href="&#106;avascript:alert(1)">x</a>',
  '<a href="  javascript:alert(1)">x</a>',
  '<a href="data:text/html,<script>alert(1)</script>">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<iframe src="https://evil.example"></iframe>',
  '<object data="x.swf"></object><embed src="x.swf">',
  '<svg onload=alert(1)><circle/></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<div style="background:url(javascript:alert(1))">x</div>',
  '<style>body{background:red}</style>',
  '<form action="https://evil.example"><input name=a></form>',
  '<body onload=alert(1)>',
  '<p onclick="alert(1)">click</p>',
  '<img src="//evil.example/x.png">',
  '<img src="https://evil.example/track.png">',
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  '<base href="https://evil.example/">',
  '<details open ontoggle=alert(1)>',
  '<a href="/ok" onmouseover="alert(1)">ok</a>',
  '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  '"><script>alert(1)</script>',
  '<scr<script>ipt>alert(1)</script>',
];

/** Fails unless `html` holds no live markup: no dangerous tag, handler, scheme or remote image. */
export function expectInert(html: string): void {
  const out = html.toLowerCase();
  expect(out).not.toMatch(
    /<script|<iframe|<object|<embed|<svg|<style|<form|<meta|<base|<math|<details/,
  );
  expect(out).not.toMatch(/\son[a-z]+\s*=/);
  expect(out).not.toMatch(/javascript:|vbscript:|data:text|data:image\/svg/);
  expect(out).not.toMatch(/src="(https?:)?\/\//);
}
