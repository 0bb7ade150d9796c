// A small, safe Markdown renderer for announcements: paragraphs, headings, bold and italic, lists,
// inline and fenced code, and links. It builds React elements from text, so no HTML in the source
// ever reaches the page as markup (a <script> or <img onerror> is shown as the text it is), and a
// link is a link only to http, https or mailto (javascript: and the rest stay plain text).
import type { ReactNode } from 'react';

const safeSchemes = ['http:', 'https:', 'mailto:'];

/** The URL if it may be a link's target (http, https or mailto), else null. */
export function safeHref(raw: string): string | null {
  const href = raw.trim();
  if (!href || /[\s\u0000-\u001f]/.test(href)) return null;
  try {
    const u = new URL(href);
    return safeSchemes.includes(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

// code first (its content is literal), then links, bold, italic; every span is bounded (1,000
// characters), so that a long line of openers that never close (a 20,000-character "[[[[…" or
// "*a *b …") costs a bounded scan from each, not one to the end of the line from each
const inlineRe = /`([^`]{1,1000})`|\[([^\]]{1,1000})\]\(([^)\s]{1,1000})\)|\*\*(.{1,1000}?)\*\*|__(.{1,1000}?)__|\*(.{1,1000}?)\*|_(.{1,1000}?)_/;

/** Inline Markdown as React nodes. */
function inline(text: string, key = 'i'): ReactNode[] {
  const out: ReactNode[] = [];
  let rest = text;
  let n = 0;
  while (rest) {
    const m = inlineRe.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    if (m.index > 0) out.push(rest.slice(0, m.index));
    const k = `${key}-${n++}`;
    if (m[1] !== undefined) out.push(<code key={k}>{m[1]}</code>);
    else if (m[2] !== undefined) {
      const href = safeHref(m[3]);
      out.push(href ? <a key={k} href={href} target="_blank" rel="noopener noreferrer">{inline(m[2], k)}</a> : <span key={k}>{inline(m[2], k)}</span>);
    } else if (m[4] !== undefined || m[5] !== undefined) out.push(<strong key={k}>{inline(m[4] ?? m[5], k)}</strong>);
    else out.push(<em key={k}>{inline(m[6] ?? m[7], k)}</em>);
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

/** Lines of a paragraph, joined by line breaks. */
function lines(ls: string[], key: string): ReactNode[] {
  return ls.flatMap((l, i) => (i === 0 ? inline(l, `${key}-${i}`) : [<br key={`${key}-br${i}`} />, ...inline(l, `${key}-${i}`)]));
}

/** Markdown source as React elements (see the file's comment for what it renders). */
export function renderMarkdown(src: string): ReactNode[] {
  const ls = src.replace(/\r\n?/g, '\n').split('\n');
  const out: ReactNode[] = [];
  let para: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  const flush = () => {
    if (para.length) out.push(<p key={`p${out.length}`}>{lines(para, `p${out.length}`)}</p>);
    para = [];
    if (list) {
      const items = list.items.map((it, i) => <li key={i}>{inline(it, `l${out.length}-${i}`)}</li>);
      out.push(list.ordered ? <ol key={`l${out.length}`}>{items}</ol> : <ul key={`l${out.length}`}>{items}</ul>);
    }
    list = null;
  };
  for (let i = 0; i < ls.length; i++) {
    const line = ls[i];
    if (/^\s*```/.test(line)) {
      flush();
      const code: string[] = [];
      for (i++; i < ls.length && !/^\s*```/.test(ls[i]); i++) code.push(ls[i]);
      out.push(<pre key={`c${out.length}`}><code>{code.join('\n')}</code></pre>);
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      flush();
      const level = Math.min(h[1].length + 2, 6); // the page has its own h1 and h2
      const Tag = `h${level}` as 'h3';
      out.push(<Tag key={`h${out.length}`}>{inline(h[2], `h${out.length}`)}</Tag>);
      continue;
    }
    const li = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/.exec(line);
    if (li) {
      const ordered = li[2] !== undefined;
      if (para.length || (list && list.ordered !== ordered)) flush();
      if (!list) list = { ordered, items: [] };
      list.items.push(li[3]);
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    if (list) flush();
    para.push(line);
  }
  flush();
  return out;
}

/** Markdown rendered safely, in a block. */
export function Markdown({ source }: { source: string }) {
  return <div className="markdown" data-testid="markdown">{renderMarkdown(source)}</div>;
}
