// spans.js - labeling spans of a text: select with the mouse or the keyboard, pick a class,
// edit, delete. Offsets are Unicode code points into the item's text (docs/schema.md).
//
// The text is laid out in blocks (paragraphs; long ones cut after a sentence end), each cut at
// every span boundary into segments; each segment sits inside one <mark>
// per span that covers it, nested by the span's level (overlapping spans get different levels),
// so overlapping spans show as stacked underlines, each with its class named in a small tag at
// its start and drawn with its class's colour *and* line style (colour is never the only
// signal). Keyboard: arrows move a caret by character (Ctrl: by word), Shift extends the
// selection, 1-9 label the selection (or relabel the chosen span), [ and ] choose the previous
// or next span, Alt+arrows move the chosen span's end (Alt+Shift its start), E gives it the
// selected range (select with the mouse or the keyboard first), Delete removes it. The mouse:
// select and press a number or a class button; click a span to choose it; drag the handles at
// the chosen span's ends.

import { h, clear, cpLength, utf16Index, uid, announce } from '../dom.js';

const MAX_LEVEL_CLASS = 5;

function levels(spans) {
  const order = spans.map((s, i) => i).sort((a, b) => spans[a].start - spans[b].start || spans[b].end - spans[a].end);
  const ends = [];
  const lv = new Array(spans.length);
  for (const i of order) {
    let l = ends.findIndex((e) => e <= spans[i].start);
    if (l < 0) {
      l = ends.length;
      ends.push(0);
    }
    ends[l] = spans[i].end;
    lv[i] = l;
  }
  return lv;
}

// The text is laid out in blocks (div.blk), each its own layout and paint boundary (app.css:
// contain), so that an edit re-lays out and repaints one block, not a 5,000-word paragraph
// (bench/README.md, UI section; docs/decisions/0007-span-text-blocks.md). A block ends after
// every newline (pre-wrap shows the text's own line breaks either way); a stretch without
// newlines longer than BLOCK_MAX code points is cut after the last sentence end before the
// limit, else after the last space, else at the limit. Returns the blocks' starts, ascending,
// with n as a sentinel at the end.
const BLOCK_MAX = 1200;

export function blockStarts(cps) {
  const n = cps.length;
  const out = [0];
  let from = 0;
  const space = (c) => c === ' ' || c === '\t' || c === '\u00a0';
  for (let i = 0; i < n; i++) {
    if (cps[i] === '\n') {
      if (i + 1 < n) out.push(i + 1);
      from = i + 1;
    } else if (i - from >= BLOCK_MAX) {
      let cut = -1;
      let spaceCut = -1;
      for (let j = i; j > from + BLOCK_MAX / 4; j--) {
        if (space(cps[j - 1]) && !space(cps[j])) {
          if (spaceCut < 0) spaceCut = j;
          if (j >= 2 && /[.!?;:\u3002]/.test(cps[j - 2])) {
            cut = j;
            break;
          }
        }
      }
      if (cut < 0) cut = spaceCut >= 0 ? spaceCut : i;
      out.push(cut);
      from = cut;
    }
  }
  out.push(n);
  return out;
}

// The nodes for the text between code points L and H (inside one block): one per segment (a
// stretch that no span boundary cuts), inside one <mark> per covering span, lowest level
// innermost. ids[i] names span i in data-i (stable across deletions).
function buildRange(cps, spans, ids, lv, classes, selected, L, H) {
  const inRange = [];
  const cuts = new Set([L, H]);
  spans.forEach((s, i) => {
    if (s.start < H && s.end > L) inRange.push(i);
    if (s.start > L && s.start < H) cuts.add(s.start);
    if (s.end > L && s.end < H) cuts.add(s.end);
  });
  const bounds = Array.from(cuts).sort((a, b) => a - b);
  const frag = document.createDocumentFragment();
  for (let b = 0; b + 1 < bounds.length; b++) {
    const a = bounds[b];
    const e = bounds[b + 1];
    const seg = h('span', { class: 'seg', 'data-s': a }, cps.slice(a, e).join(''));
    let node = seg;
    const cover = inRange.filter((i) => spans[i].start <= a && spans[i].end >= e).sort((x, y) => lv[x] - lv[y]);
    for (const i of cover) {
      const sp = spans[i];
      const k = Math.max(0, classes.indexOf(sp.label));
      const mark = h('mark', {
        class: ['sp', `c${k % 10}`, `l${Math.min(lv[i], MAX_LEVEL_CLASS)}`, i === selected ? 'sel' : null],
        'data-i': ids ? ids[i] : i,
      });
      if (sp.start === a) mark.append(h('span', { class: `tag c${k % 10}`, 'aria-hidden': 'true' }, sp.label));
      mark.append(node);
      node = mark;
    }
    frag.append(node);
  }
  return frag;
}

function segMap(container) {
  const segs = Array.from(container.querySelectorAll('.seg'));
  return { starts: segs.map((x) => Number(x.dataset.s)), segs };
}

// Fills container with the text and its spans, block by block. Returns the segment starts
// (ascending) and the segment elements, for mapping between code points and DOM positions.
export function renderSpanText(container, cps, spans, classes, selected, ids, blocks) {
  clear(container);
  const bs = blocks || blockStarts(cps);
  const lv = levels(spans);
  const frag = document.createDocumentFragment();
  for (let k = 0; k + 1 < bs.length && cps.length; k++) {
    const blk = h('div', { class: 'blk', 'data-a': bs[k], 'data-b': bs[k + 1] });
    blk.append(buildRange(cps, spans, ids, lv, classes, selected, bs[k], bs[k + 1]));
    frag.append(blk);
  }
  if (cps.length === 0) frag.append(h('div', { class: 'blk', 'data-a': 0, 'data-b': 0 }, h('span', { class: 'seg', 'data-s': 0 }, '')));
  container.append(frag);
  return segMap(container);
}

// Rebuilds only the blocks that hold code points lo to hi. The caller passes the whole
// stretch whose spans' levels may have changed: the connected group of overlapping spans
// around an edit (levels() treats such groups independently), so other blocks stay as they are.
function patchSpanText(container, cps, spans, ids, classes, selected, bs, lo, hi) {
  const lv = levels(spans);
  const blks = container.children;
  for (let k = Math.max(0, segIndex(bs, lo)); k + 1 < bs.length && bs[k] < Math.max(hi, lo + 1); k++) {
    const blk = blks[k];
    clear(blk);
    blk.append(buildRange(cps, spans, ids, lv, classes, selected, bs[k], bs[k + 1]));
  }
  return segMap(container);
}

// The stretch [lo, hi) covered by the spans that overlap [lo, hi), transitively.
function groupRange(spans, lo, hi) {
  let changed = true;
  while (changed) {
    changed = false;
    for (const s of spans) {
      if (s.start < hi && s.end > lo && (s.start < lo || s.end > hi)) {
        lo = Math.min(lo, s.start);
        hi = Math.max(hi, s.end);
        changed = true;
      }
    }
  }
  return [lo, hi];
}

function segIndex(starts, cp) {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= cp) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function isWordChar(ch) {
  return /[\p{L}\p{N}_]/u.test(ch || '');
}

export function spansWidget(field, ctx) {
  const classes = field.classes;
  const source = field.source || 'text';
  const text = typeof ctx.item.data[source] === 'string' ? ctx.item.data[source] : '';
  const cps = Array.from(text);
  const n = cps.length;
  let spans = [];
  let selected = -1;
  let caret = 0;
  let anchor = 0;
  let current = 0;
  let map = { starts: [0], segs: [] };
  const blocks = blockStarts(cps);

  const textId = uid('spt');
  const textEl = h('div', {
    id: textId,
    class: 'span-text',
    tabindex: '0',
    role: 'textbox',
    'aria-readonly': 'true',
    'aria-multiline': 'true',
    'aria-label': `${field.name}: text to label. Arrows move, Shift+arrows select, 1 to ${Math.min(9, classes.length)} label the selection, [ and ] choose a span, E gives it the selected range, Delete removes it.`,
  });
  const caretEl = h('div', { class: 'caret', 'aria-hidden': 'true' });
  // The chosen span's ends, to drag with the mouse (the keyboard has Alt+arrows and E).
  const handleEl = (which) =>
    h('div', { class: `sp-handle sp-${which}`, 'aria-hidden': 'true', 'data-end': which, title: `Drag to move the chosen span's ${which}`, hidden: true });
  const handles = { start: handleEl('start'), end: handleEl('end') };
  const wrap = h('div', { class: 'span-wrap' }, textEl, caretEl, handles.start, handles.end);
  const classBtns = classes.map((c, i) =>
    h(
      'button',
      {
        type: 'button',
        class: ['cls', `c${i % 10}`],
        'aria-pressed': i === 0 ? 'true' : 'false',
        onclick: () => {
          setCurrent(i);
          if (caret !== anchor) addFromSelection(i);
          else if (selected >= 0) relabel(selected, i);
          textEl.focus();
        },
      },
      h('kbd', { 'aria-hidden': 'true' }, i < 9 ? String(i + 1) : ''),
      ' ',
      c,
    ),
  );
  const listEl = h('ol', { class: 'span-list', 'aria-label': `${field.name}: spans` });
  listEl.addEventListener('click', (e) => {
    const b = e.target.closest && e.target.closest('button[data-i]');
    if (b) choose(Number(b.dataset.i), true);
  });
  const panel = h('div', { class: 'bx-panel span-panel' });
  const details = h('details', { class: 'span-details', ontoggle: () => renderList() }, h('summary', null, 'List of spans'), listEl);
  const countEl = h('p', { class: 'hint', 'aria-live': 'polite' });
  const el = h(
    'fieldset',
    { class: 'field field-spans', 'data-field': field.name },
    h('legend', null, field.name, field.required ? h('span', { class: 'req' }, ' (required)') : null),
    field.description ? h('p', { class: 'field-desc' }, field.description) : null,
    h('div', { class: 'cls-bar', role: 'toolbar', 'aria-label': `${field.name}: classes` }, classBtns),
    wrap,
    countEl,
    panel,
    details,
  );

  function setCurrent(i) {
    current = i;
    classBtns.forEach((b, k) => b.setAttribute('aria-pressed', k === i ? 'true' : 'false'));
  }

  function excerpt(s) {
    const t = cps.slice(s.start, s.end).join('');
    return t.length > 40 ? `${t.slice(0, 37)}…` : t;
  }

  // The list of spans: one button per span (cheap even for thousands); the chosen span is
  // edited in one panel below it (class, delete), not with a control on every row.
  function renderList() {
    renderPanel();
    // The list is built only while it is open: laying out thousands of rows on every edit
    // would cost more than the edit (bench/README.md, UI section).
    if (!details.open) {
      clear(listEl);
      return;
    }
    const order = spans.map((s, i) => i).sort((a, b) => spans[a].start - spans[b].start || spans[a].end - spans[b].end);
    const frag = document.createDocumentFragment();
    for (const i of order) {
      const s = spans[i];
      frag.append(
        h(
          'li',
          { class: i === selected ? 'sel' : null },
          h('button', { type: 'button', class: 'linkish', 'data-i': i, 'aria-current': i === selected ? 'true' : null }, `${s.start}–${s.end} “${excerpt(s)}” ${s.label}`),
        ),
      );
    }
    clear(listEl);
    listEl.append(frag);
  }

  function renderPanel() {
    clear(panel);
    if (selected >= 0 && spans[selected]) {
      const s = spans[selected];
      const sel = h(
        'select',
        { 'aria-label': `class of the chosen span ${s.start}–${s.end}`, onchange: () => relabel(selected, classes.indexOf(sel.value)) },
        classes.map((c) => h('option', { value: c, selected: c === s.label }, c)),
      );
      panel.append(
        h('span', { class: 'bx-which' }, `Chosen: ${s.start}–${s.end} “${excerpt(s)}”`),
        h('label', null, 'class ', sel),
        h('button', { type: 'button', class: 'small', title: 'E', onclick: () => useSelection() }, 'Set to the selection'),
        h('button', { type: 'button', class: 'small danger', onclick: () => remove(selected) }, 'Delete span'),
      );
    }
    countEl.textContent = `${spans.length} span${spans.length === 1 ? '' : 's'}${selected >= 0 && spans[selected] ? `; chosen: ${spans[selected].start}–${spans[selected].end} ${spans[selected].label}` : ''}`;
  }

  // ids[i] names spans[i] in the DOM (data-i), so that deleting a span leaves the other
  // spans' nodes valid and an edit rebuilds only its own stretch of text.
  let ids = [];
  let nextId = 1;
  const idOf = (i) => (i >= 0 ? ids[i] : -1);

  function render() {
    map = renderSpanText(textEl, cps, spans, classes, selected, ids, blocks);
    renderList();
    showSelection();
  }

  // After an edit: rebuild the stretches [lo, hi) (the groups of overlapping spans before and
  // after the edit), then the list.
  function patch(ranges) {
    for (const [lo, hi] of ranges) map = patchSpanText(textEl, cps, spans, ids, classes, selected, blocks, lo, hi);
    renderList();
    showSelection();
  }

  // ---- code points <-> DOM --------------------------------------------------------------------

  function domPoint(cp) {
    const k = segIndex(map.starts, cp);
    const seg = map.segs[k];
    const node = seg.firstChild || seg;
    if (node.nodeType !== Node.TEXT_NODE) return [seg, 0];
    return [node, utf16Index(node.data, cp - map.starts[k])];
  }

  function cpOf(node, offset) {
    if (!textEl.contains(node)) return null;
    if (node.nodeType === Node.TEXT_NODE) {
      const seg = node.parentElement && node.parentElement.closest('.seg');
      if (seg && textEl.contains(seg)) return Number(seg.dataset.s) + cpLength(node.data.slice(0, offset));
      node = node.parentElement;
      offset = 0;
    }
    if (node.classList && node.classList.contains('seg')) return Number(node.dataset.s) + (offset > 0 ? cpLength(node.textContent) : 0);
    const child = node.childNodes[offset] || null;
    for (const seg of map.segs) {
      if (!child) {
        if (node.compareDocumentPosition(seg) & Node.DOCUMENT_POSITION_FOLLOWING && !node.contains(seg)) return Number(seg.dataset.s);
      } else if (seg === child || child.contains(seg) || child.compareDocumentPosition(seg) & Node.DOCUMENT_POSITION_FOLLOWING) {
        return Number(seg.dataset.s);
      }
    }
    return n;
  }

  // The box of code point cp's character (its left edge), or of the character before it (its
  // right edge: the end of a span), relative to the wrap; null when scrolled out of view.
  function charBox(cp, after) {
    if (!map.segs.length || n === 0) return null;
    const at = after ? Math.max(0, cp - 1) : Math.min(cp, n - 1);
    const [node, off] = domPoint(at);
    const r = document.createRange();
    if (node.nodeType === Node.TEXT_NODE && off < node.data.length) {
      r.setStart(node, off);
      r.setEnd(node, off + (node.data.codePointAt(off) > 0xffff ? 2 : 1));
    } else {
      r.setStart(node, off);
      r.collapse(true);
    }
    const rects = r.getClientRects();
    const rect = rects.length ? rects[after ? rects.length - 1 : 0] : r.getBoundingClientRect();
    const base = wrap.getBoundingClientRect();
    const view = textEl.getBoundingClientRect();
    if (rect.bottom < view.top || rect.top > view.bottom) return null;
    return { x: (after ? rect.right : rect.left) - base.left, y: rect.top - base.top, h: Math.max(rect.height, 16) };
  }

  function place(el, box) {
    el.hidden = !box;
    if (!box) return;
    el.style.left = `${box.x}px`;
    el.style.top = `${box.y}px`;
    el.style.height = `${box.h}px`;
  }

  // The drag handles at the chosen span's ends (kept where they are while one is dragged).
  function placeHandles() {
    if (drag) return;
    const s = selected >= 0 ? spans[selected] : null;
    place(handles.start, s ? charBox(s.start, false) : null);
    place(handles.end, s ? charBox(s.end, true) : null);
  }

  function showSelection() {
    const sel = window.getSelection();
    placeHandles();
    if (document.activeElement !== textEl && !textEl.contains(document.activeElement)) {
      caretEl.hidden = true;
      return;
    }
    if (caret === anchor) {
      if (sel && sel.rangeCount && textEl.contains(sel.anchorNode)) sel.removeAllRanges();
      const box = caret < n ? charBox(caret, false) : charBox(caret, true);
      place(caretEl, box);
    } else {
      caretEl.hidden = true;
      const [an, ao] = domPoint(anchor);
      const [fn, fo] = domPoint(caret);
      sel.setBaseAndExtent(an, ao, fn, fo);
    }
  }

  // ---- edits ----------------------------------------------------------------------------------

  function conflict(s, except) {
    for (let i = 0; i < spans.length; i++) {
      if (i === except) continue;
      const o = spans[i];
      if (o.start === s.start && o.end === s.end && o.label === s.label) return 'the same span is there already';
      if (!field.allow_overlap && o.start < s.end && s.start < o.end) return 'spans may not overlap in this field';
    }
    return null;
  }

  function addFromSelection(k) {
    const start = Math.min(caret, anchor);
    const end = Math.max(caret, anchor);
    if (end <= start) return false;
    const s = { start, end, label: classes[k] };
    const why = conflict(s, -1);
    if (why) {
      announce(`Not added: ${why}.`, 'error');
      return false;
    }
    spans.push(s);
    ids.push(nextId++);
    selected = spans.length - 1;
    anchor = caret = end;
    patch([groupRange(spans, start, end)]);
    announce(`Span ${start}–${end} labelled ${s.label}.`);
    ctx.changed();
    return true;
  }

  function relabel(i, k) {
    if (i < 0 || k < 0) return;
    const s = { ...spans[i], label: classes[k] };
    const why = conflict(s, i);
    if (why) {
      announce(`Not changed: ${why}.`, 'error');
      renderList();
      return;
    }
    spans[i] = s;
    selected = i;
    patch([groupRange(spans, s.start, s.end)]);
    ctx.changed();
  }

  function remove(i) {
    if (i < 0) return;
    const s = spans[i];
    const before = groupRange(spans, s.start, s.end);
    spans.splice(i, 1);
    ids.splice(i, 1);
    selected = -1;
    patch([before]);
    announce(`Span ${s.start}–${s.end} deleted.`);
    ctx.changed();
  }

  // Marks the chosen span in the text without rebuilding it.
  // True when the selection is exactly the chosen span (as choosing it leaves it).
  function selectionIsChosen() {
    return selected >= 0 && Math.min(caret, anchor) === spans[selected].start && Math.max(caret, anchor) === spans[selected].end;
  }

  function useSelection() {
    if (selected < 0) return;
    if (caret === anchor) {
      announce('Select the new range in the text first, then press E.', 'error');
      return;
    }
    setRange(selected, Math.min(caret, anchor), Math.max(caret, anchor));
  }

  function markChosen(prev, next) {
    if (prev >= 0) for (const m of textEl.querySelectorAll(`mark[data-i="${idOf(prev)}"]`)) m.classList.remove('sel');
    if (next >= 0) for (const m of textEl.querySelectorAll(`mark[data-i="${idOf(next)}"]`)) m.classList.add('sel');
  }

  function choose(i, focusText) {
    const prev = selected;
    selected = i;
    if (i >= 0) {
      anchor = spans[i].start;
      caret = spans[i].end;
    }
    markChosen(prev, i);
    renderList();
    if (focusText) textEl.focus();
    showSelection();
    if (i >= 0 && map.segs.length) {
      const [node] = domPoint(spans[i].start);
      const elx = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
      if (elx && elx.scrollIntoView) elx.scrollIntoView({ block: 'nearest' });
    }
  }

  function moveEdge(i, which, delta) {
    const s = { ...spans[i] };
    s[which] = Math.max(0, Math.min(n, s[which] + delta));
    setRange(i, s.start, s.end);
  }

  // The chosen span takes a new range (edge keys, or E / the panel's button with a selection).
  function setRange(i, start, end) {
    const s = { ...spans[i], start, end };
    if (s.end <= s.start) return;
    const why = conflict(s, i);
    if (why) {
      announce(`Not changed: ${why}.`, 'error');
      return;
    }
    const before = groupRange(spans, spans[i].start, spans[i].end);
    spans[i] = s;
    anchor = s.start;
    caret = s.end;
    const after = groupRange(spans, s.start, s.end);
    patch([[Math.min(before[0], after[0]), Math.max(before[1], after[1])]]);
    ctx.changed();
  }

  function wordStep(pos, dir) {
    let p = pos;
    if (dir < 0) {
      while (p > 0 && !isWordChar(cps[p - 1])) p--;
      while (p > 0 && isWordChar(cps[p - 1])) p--;
    } else {
      while (p < n && !isWordChar(cps[p])) p++;
      while (p < n && isWordChar(cps[p])) p++;
    }
    return p;
  }

  textEl.addEventListener('keydown', (e) => {
    const k = e.key;
    if ((k === 'ArrowLeft' || k === 'ArrowRight') && e.altKey && selected >= 0) {
      moveEdge(selected, e.shiftKey ? 'start' : 'end', k === 'ArrowLeft' ? -1 : 1);
      e.preventDefault();
      return;
    }
    if (k === 'ArrowLeft' || k === 'ArrowRight' || k === 'Home' || k === 'End') {
      const dir = k === 'ArrowLeft' || k === 'Home' ? -1 : 1;
      let p = caret;
      if (k === 'Home') p = 0;
      else if (k === 'End') p = n;
      else if (e.ctrlKey) p = wordStep(caret, dir);
      else p = Math.max(0, Math.min(n, caret + dir));
      caret = p;
      if (!e.shiftKey) anchor = p;
      showSelection();
      e.preventDefault();
      return;
    }
    if (/^[1-9]$/.test(k) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      const i = Number(k) - 1;
      if (i < classes.length) {
        setCurrent(i);
        if (selectionIsChosen()) relabel(selected, i);
        else if (caret !== anchor) addFromSelection(i);
        else if (selected >= 0) relabel(selected, i);
        else announce(`Class ${classes[i]} chosen; select text to label it.`);
      }
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    if (k === 'Enter' && caret !== anchor) {
      addFromSelection(current);
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    if ((k === 'Delete' || k === 'Backspace') && selected >= 0) {
      remove(selected);
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    if ((k === 'e' || k === 'E') && !e.ctrlKey && !e.metaKey && !e.altKey && selected >= 0) {
      useSelection();
      e.preventDefault();
      return;
    }
    if (k === '[' || k === ']') {
      if (!spans.length) return;
      const order = spans.map((s, i) => i).sort((a, b) => spans[a].start - spans[b].start || spans[a].end - spans[b].end);
      const pos = order.indexOf(selected);
      const next = k === ']' ? (pos + 1) % order.length : (pos <= 0 ? order.length : pos) - 1;
      choose(order[next], false);
      e.preventDefault();
      return;
    }
    if (k === 'Escape' && (selected >= 0 || caret !== anchor)) {
      markChosen(selected, -1);
      selected = -1;
      anchor = caret;
      renderList();
      showSelection();
      e.preventDefault();
      e.stopPropagation();
    }
  });

  textEl.addEventListener('mouseup', () => {
    const sel = window.getSelection();
    if (!sel || !sel.rangeCount) return;
    const a = cpOf(sel.anchorNode, sel.anchorOffset);
    const f = cpOf(sel.focusNode, sel.focusOffset);
    if (a === null || f === null) return;
    anchor = a;
    caret = f;
    if (a === f) {
      const m = document.elementFromPoint && sel.anchorNode && sel.anchorNode.parentElement ? sel.anchorNode.parentElement.closest('mark.sp') : null;
      if (m) {
        choose(ids.indexOf(Number(m.dataset.i)), false);
        return;
      }
    }
    showSelection();
  });
  // Dragging a handle: the pointer's character becomes the span's start or end (the ends swap
  // if the pointer crosses the other one); the text shows the new range as a selection while
  // dragging, and the span takes it when the button is released (one edit, one undo step).
  let drag = null;
  function cpAtPoint(x, y) {
    let node = null;
    let off = 0;
    if (document.caretPositionFromPoint) {
      const p = document.caretPositionFromPoint(x, y);
      if (p) [node, off] = [p.offsetNode, p.offset];
    } else if (document.caretRangeFromPoint) {
      const r = document.caretRangeFromPoint(x, y);
      if (r) [node, off] = [r.startContainer, r.startOffset];
    }
    return node ? cpOf(node, off) : null;
  }
  for (const which of ['start', 'end']) {
    const el = handles[which];
    el.addEventListener('pointerdown', (e) => {
      if (selected < 0 || e.button !== 0) return;
      e.preventDefault();
      el.setPointerCapture(e.pointerId);
      const s = spans[selected];
      drag = { i: selected, fixed: which === 'start' ? s.end : s.start, moved: which === 'start' ? s.start : s.end, el };
      el.classList.add('dragging');
      textEl.focus({ preventScroll: true });
    });
    el.addEventListener('pointermove', (e) => {
      if (!drag || drag.el !== el) return;
      const cp = cpAtPoint(e.clientX, e.clientY);
      if (cp === null || cp === drag.fixed || cp === drag.moved) return;
      drag.moved = cp;
      anchor = Math.min(cp, drag.fixed);
      caret = Math.max(cp, drag.fixed);
      place(el, charBox(cp, cp > drag.fixed));
      showSelection();
    });
    const finish = () => {
      if (!drag || drag.el !== el) return;
      const d = drag;
      drag = null;
      el.classList.remove('dragging');
      const s = spans[d.i];
      const start = Math.min(d.moved, d.fixed);
      const end = Math.max(d.moved, d.fixed);
      if (s && (start !== s.start || end !== s.end)) setRange(d.i, start, end);
      if (spans[d.i]) {
        anchor = spans[d.i].start;
        caret = spans[d.i].end;
      }
      renderList();
      showSelection();
    };
    el.addEventListener('pointerup', finish);
    el.addEventListener('lostpointercapture', finish);
  }
  textEl.addEventListener('scroll', () => {
    placeHandles();
    if (caret === anchor && !caretEl.hidden) place(caretEl, caret < n ? charBox(caret, false) : charBox(caret, true));
  });
  if (window.ResizeObserver) new ResizeObserver(() => placeHandles()).observe(textEl);
  textEl.addEventListener('focus', () => showSelection());
  textEl.addEventListener('blur', () => {
    caretEl.hidden = true;
  });

  render();
  return {
    el,
    kind: 'spans',
    get: () => (spans.length ? spans.map((s) => ({ start: s.start, end: s.end, label: s.label })) : field.required ? [] : null),
    set(v) {
      spans = Array.isArray(v) ? v.filter((s) => s && Number.isInteger(s.start) && Number.isInteger(s.end)).map((s) => ({ start: s.start, end: s.end, label: s.label })) : [];
      ids = spans.map(() => nextId++);
      selected = -1;
      render();
    },
    key: () => false,
    focus: () => textEl.focus(),
    // For tests and the benchmark: select [start, end) as a user would.
    selectRange(start, end) {
      anchor = start;
      caret = end;
      showSelection();
    },
  };
}
