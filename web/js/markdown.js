// markdown.js - a small Markdown subset rendered to DOM nodes, safely.
//
// Guidelines are written by managers but displayed to everyone, so they are treated as
// untrusted: the renderer builds elements with createElement and puts text in with text nodes,
// never parsing HTML. Raw HTML in the source shows as the literal text it is. Links keep only
// http(s), mailto and in-page (#) targets, open with rel="noopener noreferrer", and images are
// shown as their alt text and address (the page's CSP would block other origins anyway).
//
// Supported: ATX headings (#..######), paragraphs, hard line breaks in paragraphs kept as
// spaces, blockquotes (>), unordered (-, *, +) and ordered (1.) lists with one level of
// nesting by indentation, fenced code (```), horizontal rules (---), inline code, **strong**,
// *emphasis* / _emphasis_, [links](url) and <https://autolinks>.

import { h } from './dom.js';

export function slug(text) {
  return (
    'g-' +
    text
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
  );
}

function safeHref(url) {
  const u = url.trim();
  if (/^#[\w-]*$/.test(u)) return u;
  if (/^(https?:|mailto:)/i.test(u)) return u;
  return null;
}

// Inline: code spans first (their content is literal), then links, strong, emphasis.
export function inline(text) {
  const out = [];
  let i = 0;
  let buf = '';
  const flush = () => {
    if (buf) out.push(document.createTextNode(buf));
    buf = '';
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && /[\\`*_[\]()#>!<-]/.test(text[i + 1])) {
      buf += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      if (end > i) {
        flush();
        out.push(h('code', null, text.slice(i + 1, end)));
        i = end + 1;
        continue;
      }
    }
    if (c === '<') {
      const m = /^<(https?:\/\/[^\s<>]+)>/.exec(text.slice(i));
      if (m) {
        flush();
        out.push(h('a', { href: m[1], rel: 'noopener noreferrer', target: '_blank' }, m[1]));
        i += m[0].length;
        continue;
      }
    }
    if (c === '!' && text[i + 1] === '[') {
      const m = /^!\[([^\]]*)\]\(([^)\s]*)\)/.exec(text.slice(i));
      if (m) {
        flush();
        out.push(h('span', { class: 'md-img' }, `[image: ${m[1] || 'no description'}]`));
        i += m[0].length;
        continue;
      }
    }
    if (c === '[') {
      const m = /^\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/.exec(text.slice(i));
      if (m) {
        flush();
        const href = safeHref(m[2]);
        const kids = inline(m[1]);
        if (href) {
          const ext = !href.startsWith('#');
          out.push(h('a', { href, rel: ext ? 'noopener noreferrer' : null, target: ext ? '_blank' : null }, kids));
        } else {
          out.push(h('span', { class: 'md-badlink' }, kids));
        }
        i += m[0].length;
        continue;
      }
    }
    // Underscores never emphasise inside a word (snake_case, __dunder__ names stay as typed).
    const inWord = c === '_' && i > 0 && /\w/.test(text[i - 1]);
    if ((c === '*' || c === '_') && text[i + 1] === c && !inWord) {
      const end = text.indexOf(c + c, i + 2);
      const after = text[end + 2];
      if (end > i + 2 && !(c === '_' && after && /\w/.test(after))) {
        flush();
        out.push(h('strong', null, inline(text.slice(i + 2, end))));
        i = end + 2;
        continue;
      }
    }
    if ((c === '*' || c === '_') && !inWord) {
      const end = text.indexOf(c, i + 1);
      const after = text[end + 1];
      if (end > i + 1 && !(c === '_' && after && /\w/.test(after)) && text[i + 1] !== ' ') {
        flush();
        out.push(h('em', null, inline(text.slice(i + 1, end))));
        i = end + 1;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
  return out;
}

const RE_HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const RE_FENCE = /^\s*(```|~~~)\s*([\w-]*)\s*$/;
const RE_UL = /^(\s*)[-*+]\s+(.*)$/;
const RE_OL = /^(\s*)(\d{1,9})[.)]\s+(.*)$/;
const RE_HR = /^\s*([-*_])(\s*\1){2,}\s*$/;
const RE_QUOTE = /^\s*>\s?(.*)$/;

// Renders src into a DocumentFragment. Headings get ids (slug of their text) so that other
// views can point at a section.
export function renderMarkdown(src) {
  const frag = document.createDocumentFragment();
  const lines = String(src || '').replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  const used = new Set();
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    let m = RE_FENCE.exec(line);
    if (m) {
      const fence = m[1];
      const body = [];
      i++;
      while (i < lines.length && lines[i].trim() !== fence) body.push(lines[i++]);
      i++;
      frag.append(h('pre', null, h('code', null, body.join('\n'))));
      continue;
    }
    m = RE_HEADING.exec(line);
    if (m) {
      const level = m[1].length;
      let id = slug(m[2]);
      while (used.has(id)) id += '-x';
      used.add(id);
      frag.append(h(`h${level}`, { id, 'data-heading': m[2] }, inline(m[2])));
      i++;
      continue;
    }
    if (RE_HR.test(line)) {
      frag.append(h('hr'));
      i++;
      continue;
    }
    if (RE_QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && RE_QUOTE.test(lines[i])) body.push(RE_QUOTE.exec(lines[i++])[1]);
      const q = h('blockquote');
      q.append(renderMarkdown(body.join('\n')));
      frag.append(q);
      continue;
    }
    if (RE_UL.test(line) || RE_OL.test(line)) {
      const [list, next] = renderList(lines, i);
      frag.append(list);
      i = next;
      continue;
    }
    const para = [];
    while (
      i < lines.length &&
      lines[i].trim() &&
      !RE_HEADING.test(lines[i]) &&
      !RE_FENCE.test(lines[i]) &&
      !RE_QUOTE.test(lines[i]) &&
      !RE_UL.test(lines[i]) &&
      !RE_OL.test(lines[i])
    )
      para.push(lines[i++].trim());
    frag.append(h('p', null, inline(para.join(' '))));
  }
  return frag;
}

function renderList(lines, start) {
  const first = RE_UL.exec(lines[start]) || RE_OL.exec(lines[start]);
  const ordered = !RE_UL.test(lines[start]);
  const indent = first[1].length;
  const list = h(ordered ? 'ol' : 'ul');
  let i = start;
  let li = null;
  while (i < lines.length && lines[i].trim()) {
    const mu = RE_UL.exec(lines[i]);
    const mo = RE_OL.exec(lines[i]);
    const m = mu || mo;
    if (m && m[1].length > indent && li) {
      const [sub, next] = renderList(lines, i);
      li.append(sub);
      i = next;
      continue;
    }
    if (m && m[1].length < indent) break;
    if (m && !!mo === ordered) {
      li = h('li', null, inline(mo ? mo[3] : mu[2]));
      list.append(li);
    } else if (m) {
      break;
    } else if (li) {
      li.append(' ', ...inline(lines[i].trim()));
    }
    i++;
  }
  return [list, i];
}
