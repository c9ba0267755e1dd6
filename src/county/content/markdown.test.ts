import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown.ts';

describe('administrator-written Markdown', () => {
  it('keeps text, lists and links, and drops scripts, handlers and images', () => {
    const out = String(
      renderMarkdown(
        '**維護公告**\n\n- 一\n- [說明](https://www.cyc.edu.tw)\n\n<script>alert(1)</script><img src=x onerror=alert(1)>',
      ),
    );
    expect(out).toContain('<strong>維護公告</strong>');
    expect(out).toContain('<a href="https://www.cyc.edu.tw">說明</a>');
    expect(out).not.toMatch(/script|onerror|<img/);
  });

  it('shows an edited text as edited, also once many other texts were rendered', () => {
    expect(String(renderMarkdown('停機 12 月 5 日'))).toContain('12 月 5 日');
    expect(String(renderMarkdown('停機 12 月 6 日'))).toContain('12 月 6 日');
    for (let n = 0; n < 600; n++) renderMarkdown(`公告 ${n}`);
    expect(String(renderMarkdown('公告 0'))).toBe('<p>公告 0</p>\n');
    expect(String(renderMarkdown('停機 12 月 5 日'))).toContain('12 月 5 日');
  });
});
