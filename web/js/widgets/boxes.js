// boxes.js - bounding boxes on an image: draw, move, resize, change class, delete, zoom, pan.
//
// SVG: the image and the boxes live in one <g> whose transform is the zoom and pan, so a box is
// drawn once in image pixels and never recomputed when the view moves. Strokes do not scale
// (vector-effect), and the label size follows the zoom through one CSS custom property. A drag
// touches only the dragged box's attributes, once per animation frame, which keeps 500 boxes
// at the display's frame rate. Each box carries its class name as text and its class's dash
// pattern as well as its colour.
//
// Mouse: drag on the image draws a box of the current class; drag a box to move it, a handle to
// resize it; wheel zooms around the pointer; drag with the middle button, or with Space held,
// pans. Keyboard (the image area has focus): N new box, [ ] choose a box, arrows move it
// (Shift: 10 px), Alt+arrows move its right/bottom edge (Alt+Shift: left/top), 1-9 set the
// class, Delete removes it, + and - zoom, 0 fits, arrows with no box chosen pan.

import { h, s, clear, uid, announce } from '../dom.js';
import { mediaUrl } from '../api.js';

const HANDLES = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];

export function imageSize(field, item) {
  const d = item.data || {};
  const w = Number(d[field.width_field || 'width']);
  const hh = Number(d[field.height_field || 'height']);
  return w > 0 && hh > 0 ? [w, hh] : null;
}

export function imageHref(ctx) {
  const d = ctx.item.data || {};
  return typeof d.image === 'string' && d.image ? mediaUrl(ctx.project, ctx.item.id) : null;
}

export function boxesWidget(field, ctx) {
  const classes = field.classes;
  let boxes = [];
  let selected = -1;
  let current = 0;
  let W = 640;
  let H = 480;
  const known = imageSize(field, ctx.item);
  if (known) [W, H] = known;
  let k = 1;
  let tx = 0;
  let ty = 0;
  let spaceDown = false;
  let drag = null;
  let frame = 0;

  const href = imageHref(ctx);
  const image = s('image', { x: 0, y: 0, width: W, height: H, preserveAspectRatio: 'none', class: 'bx-image' });
  if (href) image.setAttribute('href', href);
  const bg = s('rect', { x: 0, y: 0, width: W, height: H, class: 'bx-bg' });
  const boxLayer = s('g', { class: 'bx-boxes' });
  const handleLayer = s('g', { class: 'bx-handles' });
  const draft = s('rect', { class: 'bx-draft', x: 0, y: 0, width: 0, height: 0, visibility: 'hidden' });
  const view = s('g', { class: 'bx-view' }, bg, image, boxLayer, draft, handleLayer);
  const svg = s('svg', { class: 'bx-svg', 'aria-hidden': 'true' }, view);
  const stageId = uid('bx');
  const stage = h(
    'div',
    {
      id: stageId,
      class: 'bx-stage',
      tabindex: '0',
      role: 'application',
      'aria-roledescription': 'image with boxes',
      'aria-label': `${field.name}: ${href ? 'image' : 'canvas'} ${W} by ${H}. N adds a box, [ and ] choose one, arrows move it, Alt+arrows resize, 1 to ${Math.min(9, classes.length)} set its class, Delete removes it, + and - zoom, 0 fits.`,
    },
    svg,
  );
  const classBtns = classes.map((c, i) =>
    h(
      'button',
      {
        type: 'button',
        class: ['cls', `c${i % 10}`],
        'aria-pressed': i === 0 ? 'true' : 'false',
        onclick: () => {
          setClass(i);
          stage.focus();
        },
      },
      h('kbd', { 'aria-hidden': 'true' }, i < 9 ? String(i + 1) : ''),
      ' ',
      c,
    ),
  );
  const zoomBtns = [
    h('button', { type: 'button', class: 'small', 'aria-label': 'zoom in', onclick: () => zoomAt(1.25) }, '+'),
    h('button', { type: 'button', class: 'small', 'aria-label': 'zoom out', onclick: () => zoomAt(0.8) }, '−'),
    h('button', { type: 'button', class: 'small', 'aria-label': 'fit the image', onclick: () => fit() }, 'Fit'),
    // The visible text is the name (WCAG 2.5.3, label in name): no aria-label that differs.
    h('button', { type: 'button', class: 'small', title: 'N', onclick: () => addCentered() }, 'New box'),
  ];
  const info = h('p', { class: 'hint', 'aria-live': 'polite' });
  const panel = h('div', { class: 'bx-panel' });
  const el = h(
    'fieldset',
    { class: 'field field-boxes', 'data-field': field.name },
    h('legend', null, field.name, field.required ? h('span', { class: 'req' }, ' (required)') : null),
    field.description ? h('p', { class: 'field-desc' }, field.description) : null,
    h('div', { class: 'cls-bar', role: 'toolbar', 'aria-label': `${field.name}: classes and view` }, classBtns, h('span', { class: 'sep' }), zoomBtns),
    stage,
    info,
    panel,
  );

  if (href && !known) {
    const probe = new Image();
    probe.onload = () => {
      W = probe.naturalWidth || W;
      H = probe.naturalHeight || H;
      for (const e of [image, bg]) {
        e.setAttribute('width', W);
        e.setAttribute('height', H);
      }
      fit();
    };
    probe.src = href;
  }

  // ---- view -----------------------------------------------------------------------------------

  function applyView() {
    view.setAttribute('transform', `translate(${tx} ${ty}) scale(${k})`);
    view.style.setProperty('--bx-font', `${13 / k}px`);
    view.style.setProperty('--bx-handle', `${9 / k}`);
    placeHandles();
  }

  function stageSize() {
    const r = svg.getBoundingClientRect();
    return [r.width || 800, r.height || 500];
  }

  function fit() {
    const [sw, sh] = stageSize();
    k = Math.min(sw / W, sh / H);
    tx = (sw - W * k) / 2;
    ty = (sh - H * k) / 2;
    applyView();
  }

  function zoomAt(f, cx, cy) {
    const [sw, sh] = stageSize();
    const px = cx === undefined ? sw / 2 : cx;
    const py = cy === undefined ? sh / 2 : cy;
    const nk = Math.max(0.05, Math.min(40, k * f));
    tx = px - ((px - tx) * nk) / k;
    ty = py - ((py - ty) * nk) / k;
    k = nk;
    applyView();
  }

  function toImage(e) {
    const r = svg.getBoundingClientRect();
    return [(e.clientX - r.left - tx) / k, (e.clientY - r.top - ty) / k];
  }

  // ---- boxes ----------------------------------------------------------------------------------

  function clamp(b) {
    const x = Math.max(0, Math.min(W - 1, b.x));
    const y = Math.max(0, Math.min(H - 1, b.y));
    return { ...b, x, y, w: Math.max(1, Math.min(W - x, b.w)), h: Math.max(1, Math.min(H - y, b.h)) };
  }

  function round(b) {
    return { x: Math.round(b.x), y: Math.round(b.y), w: Math.round(b.w), h: Math.round(b.h), label: b.label };
  }

  function boxNode(b, i) {
    const ci = Math.max(0, classes.indexOf(b.label));
    const g = s(
      'g',
      { class: ['box', `c${ci % 10}`, `p${ci % 4}`, i === selected ? 'sel' : null], 'data-i': i },
      s('rect', { x: b.x, y: b.y, width: b.w, height: b.h }),
      s('text', { x: b.x + 2, y: b.y, class: 'bx-tag' }, `${b.label}`),
    );
    return g;
  }

  function updateNode(i) {
    const g = boxLayer.children[i];
    if (!g) return;
    const b = boxes[i];
    const r = g.firstChild;
    r.setAttribute('x', b.x);
    r.setAttribute('y', b.y);
    r.setAttribute('width', b.w);
    r.setAttribute('height', b.h);
    const t = g.lastChild;
    t.setAttribute('x', b.x + 2);
    t.setAttribute('y', b.y);
  }

  function renderBoxes() {
    const frag = document.createDocumentFragment();
    boxes.forEach((b, i) => frag.append(boxNode(b, i)));
    clear(boxLayer);
    boxLayer.append(frag);
    placeHandles();
    renderPanel();
  }

  function placeHandles() {
    clear(handleLayer);
    if (selected < 0 || !boxes[selected]) return;
    const b = boxes[selected];
    const hs = 9 / k;
    // The chosen box's outline on top of the others, so overlapping boxes never hide it.
    handleLayer.append(s('rect', { class: 'bx-outline', x: b.x, y: b.y, width: b.w, height: b.h }));
    for (const name of HANDLES) {
      const hx = b.x + (name.includes('w') ? 0 : name.includes('e') ? b.w : b.w / 2);
      const hy = b.y + (name.includes('n') ? 0 : name.includes('s') ? b.h : b.h / 2);
      handleLayer.append(s('rect', { class: `bx-handle h-${name}`, 'data-h': name, x: hx - hs / 2, y: hy - hs / 2, width: hs, height: hs }));
    }
  }

  function select(i) {
    const prev = boxLayer.children[selected];
    if (prev) prev.classList.remove('sel');
    selected = i;
    const g = boxLayer.children[i];
    if (g) g.classList.add('sel');
    placeHandles();
    renderPanel();
  }

  function renderPanel() {
    clear(panel);
    info.textContent = `${boxes.length} box${boxes.length === 1 ? '' : 'es'}${selected >= 0 ? `; chosen: #${selected + 1}` : ''}. Zoom ${Math.round(k * 100)}%.`;
    if (selected < 0 || !boxes[selected]) return;
    const b = boxes[selected];
    const num = (key, label) => {
      const id = uid('bxn');
      const inp = h('input', {
        id,
        type: 'number',
        value: String(b[key]),
        min: key === 'w' || key === 'h' ? 1 : 0,
        onchange: () => {
          const v = Number(inp.value);
          if (!Number.isFinite(v)) return;
          boxes[selected] = round(clamp({ ...boxes[selected], [key]: v }));
          updateNode(selected);
          placeHandles();
          ctx.changed();
        },
      });
      return h('label', { class: 'bx-num', for: id }, label, ' ', inp);
    };
    const sel = h(
      'select',
      {
        'aria-label': `class of box ${selected + 1}`,
        onchange: () => relabel(selected, classes.indexOf(sel.value)),
      },
      classes.map((c) => h('option', { value: c, selected: c === b.label }, c)),
    );
    panel.append(
      h('span', { class: 'bx-which' }, `Box ${selected + 1} of ${boxes.length}`),
      h('label', null, 'class ', sel),
      num('x', 'x'),
      num('y', 'y'),
      num('w', 'width'),
      num('h', 'height'),
      h('button', { type: 'button', class: 'small danger', onclick: () => remove(selected) }, 'Delete box'),
    );
  }

  function add(b) {
    if (boxes.length >= (field.max_boxes || 5000)) {
      announce(`At most ${field.max_boxes || 5000} boxes in this field.`, 'error');
      return;
    }
    boxes.push(round(clamp(b)));
    selected = boxes.length - 1;
    renderBoxes();
    announce(`Box ${boxes.length} (${b.label}) added.`);
    ctx.changed();
  }

  function addCentered() {
    const [sw, sh] = stageSize();
    const cx = (sw / 2 - tx) / k;
    const cy = (sh / 2 - ty) / k;
    const bw = Math.max(8, Math.min(W, sw / k) / 5);
    const bh = Math.max(8, Math.min(H, sh / k) / 5);
    add({ x: cx - bw / 2, y: cy - bh / 2, w: bw, h: bh, label: classes[current] });
    stage.focus();
  }

  function relabel(i, ci) {
    if (i < 0 || ci < 0 || !boxes[i]) return;
    boxes[i] = { ...boxes[i], label: classes[ci] };
    renderBoxes();
    ctx.changed();
  }

  function remove(i) {
    if (i < 0 || !boxes[i]) return;
    boxes.splice(i, 1);
    selected = -1;
    renderBoxes();
    announce(`Box ${i + 1} deleted.`);
    ctx.changed();
    stage.focus();
  }

  function setClass(i) {
    current = i;
    classBtns.forEach((b, j) => b.setAttribute('aria-pressed', j === i ? 'true' : 'false'));
    if (selected >= 0) relabel(selected, i);
  }

  // ---- pointer --------------------------------------------------------------------------------

  function schedule() {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (!drag) return;
      if (drag.kind === 'draw') {
        const x = Math.min(drag.x0, drag.x1);
        const y = Math.min(drag.y0, drag.y1);
        draft.setAttribute('x', x);
        draft.setAttribute('y', y);
        draft.setAttribute('width', Math.abs(drag.x1 - drag.x0));
        draft.setAttribute('height', Math.abs(drag.y1 - drag.y0));
      } else if (drag.kind === 'pan') {
        applyView();
      } else {
        updateNode(drag.i);
        placeHandles();
      }
    });
  }

  svg.addEventListener('pointerdown', (e) => {
    stage.focus({ preventScroll: true });
    const [x, y] = toImage(e);
    if (e.button === 1 || (e.button === 0 && spaceDown)) {
      drag = { kind: 'pan', cx: e.clientX, cy: e.clientY, tx0: tx, ty0: ty };
    } else if (e.button === 0) {
      const hnd = e.target.closest && e.target.closest('.bx-handle');
      const g = e.target.closest && e.target.closest('.box');
      if (hnd && selected >= 0) {
        drag = { kind: 'resize', i: selected, h: hnd.dataset.h, x0: x, y0: y, b0: { ...boxes[selected] } };
      } else if (g) {
        const i = Number(g.dataset.i);
        if (i !== selected) select(i);
        drag = { kind: 'move', i: selected, x0: x, y0: y, b0: { ...boxes[selected] } };
      } else {
        drag = { kind: 'draw', x0: x, y0: y, x1: x, y1: y };
        draft.setAttribute('visibility', 'visible');
        schedule();
      }
    } else {
      return;
    }
    svg.setPointerCapture(e.pointerId);
    e.preventDefault();
  });

  svg.addEventListener('pointermove', (e) => {
    if (!drag) return;
    if (drag.kind === 'pan') {
      tx = drag.tx0 + (e.clientX - drag.cx);
      ty = drag.ty0 + (e.clientY - drag.cy);
      schedule();
      return;
    }
    const [x, y] = toImage(e);
    if (drag.kind === 'draw') {
      drag.x1 = Math.max(0, Math.min(W, x));
      drag.y1 = Math.max(0, Math.min(H, y));
    } else if (drag.kind === 'move') {
      const b = drag.b0;
      boxes[drag.i] = { ...b, x: Math.max(0, Math.min(W - b.w, b.x + x - drag.x0)), y: Math.max(0, Math.min(H - b.h, b.y + y - drag.y0)) };
    } else if (drag.kind === 'resize') {
      const b = drag.b0;
      let x0 = b.x;
      let y0 = b.y;
      let x1 = b.x + b.w;
      let y1 = b.y + b.h;
      const dx = x - drag.x0;
      const dy = y - drag.y0;
      if (drag.h.includes('w')) x0 = Math.min(x1 - 1, Math.max(0, b.x + dx));
      if (drag.h.includes('e')) x1 = Math.max(x0 + 1, Math.min(W, b.x + b.w + dx));
      if (drag.h.includes('n')) y0 = Math.min(y1 - 1, Math.max(0, b.y + dy));
      if (drag.h.includes('s')) y1 = Math.max(y0 + 1, Math.min(H, b.y + b.h + dy));
      boxes[drag.i] = { ...b, x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
    }
    schedule();
  });

  function endDrag() {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (d.kind === 'draw') {
      draft.setAttribute('visibility', 'hidden');
      const w = Math.abs(d.x1 - d.x0);
      const hh = Math.abs(d.y1 - d.y0);
      if (w * k >= 4 && hh * k >= 4) add({ x: Math.min(d.x0, d.x1), y: Math.min(d.y0, d.y1), w, h: hh, label: classes[current] });
      else if (selected >= 0) select(-1);
    } else if (d.kind === 'move' || d.kind === 'resize') {
      boxes[d.i] = round(clamp(boxes[d.i]));
      updateNode(d.i);
      placeHandles();
      renderPanel();
      if (JSON.stringify(boxes[d.i]) !== JSON.stringify(round(d.b0))) ctx.changed();
    }
  }
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);

  svg.addEventListener(
    'wheel',
    (e) => {
      const r = svg.getBoundingClientRect();
      zoomAt(Math.pow(1.0015, -e.deltaY), e.clientX - r.left, e.clientY - r.top);
      e.preventDefault();
    },
    { passive: false },
  );

  // ---- keyboard -------------------------------------------------------------------------------

  stage.addEventListener('keyup', (e) => {
    if (e.key === ' ') spaceDown = false;
  });
  stage.addEventListener('keydown', (e) => {
    const key = e.key;
    if (key === ' ') {
      spaceDown = true;
      e.preventDefault();
      return;
    }
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (arrows[key]) {
      const step = e.shiftKey && !e.altKey ? 10 : 1;
      const [dx, dy] = arrows[key];
      if (selected < 0) {
        tx -= dx * 40;
        ty -= dy * 40;
        applyView();
      } else {
        const b = { ...boxes[selected] };
        if (e.altKey && !e.shiftKey) {
          b.w += dx;
          b.h += dy;
        } else if (e.altKey && e.shiftKey) {
          b.x += dx;
          b.w -= dx;
          b.y += dy;
          b.h -= dy;
        } else {
          b.x += dx * step;
          b.y += dy * step;
        }
        if (b.w >= 1 && b.h >= 1) {
          boxes[selected] = round(clamp(b));
          updateNode(selected);
          placeHandles();
          renderPanel();
          ctx.changed();
        }
      }
      e.preventDefault();
      return;
    }
    if (/^[1-9]$/.test(key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      const i = Number(key) - 1;
      if (i < classes.length) setClass(i);
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    if (key === 'n' || key === 'N') {
      addCentered();
      e.preventDefault();
      return;
    }
    if ((key === 'Delete' || key === 'Backspace') && selected >= 0) {
      remove(selected);
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    if (key === '[' || key === ']') {
      if (boxes.length) select(key === ']' ? (selected + 1) % boxes.length : (selected <= 0 ? boxes.length : selected) - 1);
      e.preventDefault();
      return;
    }
    if (key === '+' || key === '=') {
      zoomAt(1.25);
      e.preventDefault();
    } else if (key === '-') {
      zoomAt(0.8);
      e.preventDefault();
    } else if (key === '0') {
      fit();
      e.preventDefault();
    } else if (key === 'Escape' && selected >= 0) {
      select(-1);
      e.preventDefault();
      e.stopPropagation();
    }
  });

  // The stage has its size only once it is in the document.
  const ro = new ResizeObserver(() => fit());
  ro.observe(stage);
  applyView();
  renderBoxes();

  return {
    el,
    kind: 'boxes',
    get: () => (boxes.length ? boxes.map((b) => ({ x: b.x, y: b.y, w: b.w, h: b.h, label: b.label })) : field.required ? [] : null),
    set(v) {
      boxes = Array.isArray(v) ? v.filter((b) => b && typeof b.x === 'number').map((b) => ({ x: b.x, y: b.y, w: b.w, h: b.h, label: b.label })) : [];
      selected = -1;
      renderBoxes();
    },
    key: () => false,
    focus: () => stage.focus(),
    destroy: () => ro.disconnect(),
  };
}

// All annotators' boxes on one image, for adjudication: each annotator has a colour, a dash
// pattern and their name in every box's tag.
export function boxesOverlay(field, ctx, labels) {
  const known = imageSize(field, ctx.item);
  const [W, H] = known || [640, 480];
  const href = imageHref(ctx);
  const g = s('g', { class: 'bx-view overlay' });
  g.style.setProperty('--bx-font', `${Math.max(10, W / 60)}px`);
  g.append(s('rect', { x: 0, y: 0, width: W, height: H, class: 'bx-bg' }));
  if (href) g.append(s('image', { x: 0, y: 0, width: W, height: H, href, preserveAspectRatio: 'none' }));
  labels.forEach((l, j) => {
    const v = l.value && Array.isArray(l.value[field.name]) ? l.value[field.name] : [];
    for (const b of v)
      g.append(
        s(
          'g',
          { class: ['box', `a${j % 6}`, `p${j % 4}`] },
          s('rect', { x: b.x, y: b.y, width: b.w, height: b.h }),
          s('text', { x: b.x + 2, y: b.y + (j % 3) * (W / 60), class: 'bx-tag' }, `${l.annotator}: ${b.label}`),
        ),
      );
  });
  return s('svg', { class: 'bx-svg overlay', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${field.name}: boxes of ${labels.map((l) => l.annotator).join(', ')}` }, g);
}
