// dom.js - building the page from data without ever parsing HTML.
//
// Every element is made with createElement and every piece of data goes in as a text node or an
// attribute. There is no path here (or anywhere in the UI) that assigns innerHTML, outerHTML or
// insertAdjacentHTML; the page's CSP (require-trusted-types-for 'script', trusted-types 'none')
// makes such an assignment throw, so a slip would fail loudly instead of opening a hole.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  if (!attrs) return el;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'style') throw new Error('no style attributes: use a class (CSP)');
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// h('button', {class: 'x', onclick: f}, 'Text', child...)
export function h(tag, attrs, ...children) {
  return append(apply(document.createElement(tag), attrs), children);
}

export function s(tag, attrs, ...children) {
  return append(apply(document.createElementNS(SVG_NS, tag), attrs), children);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

// A short, unique id for label/for and aria pairs.
let seq = 0;
export function uid(prefix) {
  seq += 1;
  return `${prefix || 'id'}-${seq}`;
}

// Code-point helpers: span offsets in labelops count Unicode code points (docs/schema.md).
export function codePoints(text) {
  return Array.from(text || '');
}

export function cpLength(str) {
  let n = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
      const d = str.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

// The UTF-16 index of code point cp in str (str.length when past the end).
export function utf16Index(str, cp) {
  let i = 0;
  let n = 0;
  while (i < str.length && n < cp) {
    const c = str.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < str.length ? 2 : 1;
    n++;
  }
  return i;
}

export function deepEqual(a, b) {
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

function canon(v) {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) o[k] = canon(v[k]);
    return o;
  }
  return v;
}

export function clone(v) {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

export function fmtDuration(seconds) {
  const s0 = Math.max(0, Math.round(seconds));
  const h0 = Math.floor(s0 / 3600);
  const m = Math.floor((s0 % 3600) / 60);
  const sec = s0 % 60;
  const mm = h0 ? String(m).padStart(2, '0') : String(m);
  return (h0 ? `${h0}:` : '') + `${mm}:${String(sec).padStart(2, '0')}`;
}

// Says something to screen readers and sighted users alike (the #status live region).
export function announce(msg, kind) {
  const st = document.getElementById('status');
  if (!st) return;
  st.className = `status ${kind || ''}`;
  st.textContent = msg;
}
