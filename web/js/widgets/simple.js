// simple.js - the widgets of the simple field types: single_choice, multi_choice, free_text
// and rating. Each is { el, get(), set(value), key(event) -> handled, focus() } and calls
// ctx.changed() after the user changes it. Number keys 1-9 (and 0 for the tenth class) pick a
// class; the task view forwards them to the field that has focus, or to the first choice field.

import { h, uid } from '../dom.js';

function fieldBox(field, body, extraClass) {
  const id = uid('f');
  const box = h(
    'fieldset',
    { class: ['field', extraClass], 'data-field': field.name, 'aria-describedby': field.description ? `${id}-d` : null },
    h('legend', null, field.name, field.required ? h('span', { class: 'req', title: 'required' }, ' (required)') : null),
    field.description ? h('p', { class: 'field-desc', id: `${id}-d` }, field.description) : null,
    body,
  );
  return box;
}

function keyDigit(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return -1;
  if (!/^[0-9]$/.test(e.key)) return -1;
  const d = Number(e.key);
  return d === 0 ? 9 : d - 1;
}

export function singleChoice(field, ctx) {
  const name = uid('sc');
  let value = null;
  const inputs = field.classes.map((c, i) => {
    const input = h('input', {
      type: 'radio',
      name,
      value: c,
      onchange: () => {
        value = c;
        ctx.changed();
      },
    });
    input.addEventListener('click', () => {
      // A second click on the chosen class clears an optional field.
      if (value === c && input.dataset.was === '1' && !field.required) {
        input.checked = false;
        value = null;
        ctx.changed();
      }
      input.dataset.was = input.checked ? '1' : '0';
    });
    return h('label', { class: 'choice' }, input, h('kbd', { 'aria-hidden': 'true' }, i < 10 ? String((i + 1) % 10) : ''), ' ', c);
  });
  const el = fieldBox(field, h('div', { class: 'choices', role: 'radiogroup', 'aria-label': field.name }, inputs));
  const sync = () => {
    for (const l of inputs) {
      const inp = l.querySelector('input');
      inp.checked = inp.value === value;
      inp.dataset.was = inp.checked ? '1' : '0';
    }
  };
  return {
    el,
    kind: 'choice',
    get: () => value,
    set(v) {
      value = typeof v === 'string' && field.classes.includes(v) ? v : null;
      sync();
    },
    key(e) {
      const i = keyDigit(e);
      if (i < 0 || i >= field.classes.length) return false;
      value = field.classes[i];
      sync();
      ctx.changed();
      return true;
    },
    focus() {
      const sel = inputs.find((l) => l.querySelector('input').checked) || inputs[0];
      if (sel) sel.querySelector('input').focus();
    },
  };
}

export function multiChoice(field, ctx) {
  let value = [];
  const inputs = field.classes.map((c, i) => {
    const input = h('input', {
      type: 'checkbox',
      value: c,
      onchange: () => {
        value = field.classes.filter((x, k) => inputs[k].querySelector('input').checked);
        ctx.changed();
      },
    });
    return h('label', { class: 'choice' }, input, h('kbd', { 'aria-hidden': 'true' }, i < 10 ? String((i + 1) % 10) : ''), ' ', c);
  });
  const limits = [];
  if (field.min_selected) limits.push(`at least ${field.min_selected}`);
  if (field.max_selected !== undefined && field.max_selected < field.classes.length) limits.push(`at most ${field.max_selected}`);
  const el = fieldBox(
    field,
    h('div', { class: 'choices', role: 'group', 'aria-label': field.name }, inputs, limits.length ? h('p', { class: 'hint' }, `Choose ${limits.join(' and ')}.`) : null),
  );
  const sync = () => {
    inputs.forEach((l) => {
      const inp = l.querySelector('input');
      inp.checked = value.includes(inp.value);
    });
  };
  return {
    el,
    kind: 'choice',
    get: () => (value.length ? value.slice() : field.required ? [] : null),
    set(v) {
      value = Array.isArray(v) ? field.classes.filter((c) => v.includes(c)) : [];
      sync();
    },
    key(e) {
      const i = keyDigit(e);
      if (i < 0 || i >= field.classes.length) return false;
      const c = field.classes[i];
      value = value.includes(c) ? value.filter((x) => x !== c) : field.classes.filter((x) => x === c || value.includes(x));
      sync();
      ctx.changed();
      return true;
    },
    focus() {
      if (inputs[0]) inputs[0].querySelector('input').focus();
    },
  };
}

export function freeText(field, ctx) {
  const id = uid('ft');
  const ta = h('textarea', {
    id,
    rows: 3,
    maxlength: field.max_length || null,
    'aria-label': field.name,
    oninput: () => {
      count.textContent = counter();
      ctx.changed();
    },
  });
  const counter = () => {
    const n = Array.from(ta.value).length;
    return field.max_length ? `${n} / ${field.max_length}` : `${n} characters`;
  };
  const count = h('span', { class: 'hint', 'aria-live': 'off' }, '');
  const el = fieldBox(field, h('div', null, ta, count));
  return {
    el,
    kind: 'text',
    get: () => (ta.value === '' ? null : ta.value),
    set(v) {
      ta.value = typeof v === 'string' ? v : '';
      count.textContent = counter();
    },
    key: () => false,
    focus: () => ta.focus(),
  };
}

export function rating(field, ctx) {
  const step = field.step;
  const n = step ? Math.round((field.max - field.min) / step) + 1 : 0;
  let get;
  let set;
  let focus;
  let key = () => false;
  let body;
  if (step && n <= 11) {
    const name = uid('rt');
    let value = null;
    const vals = Array.from({ length: n }, (_, i) => +(field.min + i * step).toFixed(10));
    const labels = vals.map((v, i) => {
      const inp = h('input', {
        type: 'radio',
        name,
        value: String(v),
        onchange: () => {
          value = v;
          ctx.changed();
        },
      });
      return h('label', { class: 'choice rating-choice' }, inp, h('kbd', { 'aria-hidden': 'true' }, i < 10 ? String((i + 1) % 10) : ''), ' ', String(v));
    });
    const sync = () =>
      labels.forEach((l) => {
        const inp = l.querySelector('input');
        inp.checked = value !== null && Number(inp.value) === value;
      });
    body = h('div', { class: 'choices rating', role: 'radiogroup', 'aria-label': `${field.name}, ${field.min} to ${field.max}` }, labels);
    get = () => value;
    set = (v) => {
      value = typeof v === 'number' && vals.includes(v) ? v : null;
      sync();
    };
    key = (e) => {
      const i = keyDigit(e);
      if (i < 0 || i >= vals.length) return false;
      value = vals[i];
      sync();
      ctx.changed();
      return true;
    };
    focus = () => (labels.find((l) => l.querySelector('input').checked) || labels[0]).querySelector('input').focus();
  } else {
    const id = uid('rn');
    const inp = h('input', {
      id,
      type: 'number',
      min: field.min,
      max: field.max,
      step: step || 'any',
      'aria-label': `${field.name}, ${field.min} to ${field.max}`,
      oninput: () => ctx.changed(),
    });
    body = h('div', { class: 'rating' }, inp, h('span', { class: 'hint' }, ` ${field.min} to ${field.max}`));
    get = () => (inp.value === '' || Number.isNaN(inp.valueAsNumber) ? null : inp.valueAsNumber);
    set = (v) => {
      inp.value = typeof v === 'number' ? String(v) : '';
    };
    focus = () => inp.focus();
  }
  const el = fieldBox(field, body);
  return { el, kind: 'choice', get, set, key, focus };
}
