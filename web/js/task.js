// task.js - the labeling, rework, review and adjudication views: one task at a time from
// POST /api/v1/projects/{name}/tasks/next (docs/api-workflow.md), every field of the project's
// schema on one screen, the guidelines beside it, and the lease kept alive while the user works.
//
// Keys (outside text boxes): 1-9 choose a class in the focused field (or the first choice
// field), Enter submits (in review: accepts, or fixes-and-accepts once edited), Ctrl+Z undoes,
// Alt+S skips, Alt+F flags, Alt+G shows or hides the guidelines. Every button has the same
// action for the mouse.

import { h, clear, replace, announce, clone, deepEqual, fmtDuration, uid } from './dom.js';
import { api, enc, newKey, clockSkewMs, ApiError } from './api.js';
import { renderMarkdown } from './markdown.js';
import { singleChoice, multiChoice, freeText, rating } from './widgets/simple.js';
import { spansWidget, renderSpanText } from './widgets/spans.js';
import { boxesWidget, boxesOverlay } from './widgets/boxes.js';

const DRAFT_DELAY_MS = 1500;
const TITLES = { label: 'Label', rework: 'Rework', review: 'Review', adjudicate: 'Adjudicate' };

const projectCache = new Map();

// The project's schema, workflow settings and guideline, fetched once per project and page.
export async function projectInfo(name, refresh) {
  if (!refresh && projectCache.has(name)) return projectCache.get(name);
  const p = enc(name);
  const [project, workflow, guideline] = await Promise.all([
    api('GET', `/api/v1/projects/${p}`),
    api('GET', `/api/v1/projects/${p}/workflow`).catch(() => null),
    api('GET', `/api/v1/projects/${p}/guidelines`).catch(() => null),
  ]);
  const info = { project, workflow: workflow || {}, guideline };
  projectCache.set(name, info);
  return info;
}

function makeWidget(field, ctx) {
  switch (field.type) {
    case 'single_choice':
      return singleChoice(field, ctx);
    case 'multi_choice':
      return multiChoice(field, ctx);
    case 'spans':
      return spansWidget(field, ctx);
    case 'boxes':
      return boxesWidget(field, ctx);
    case 'free_text':
      return freeText(field, ctx);
    case 'rating':
      return rating(field, ctx);
    default:
      return null;
  }
}

// A value shown as text (rework's previous label, review, adjudication, gold feedback).
export function valueText(field, v) {
  if (v === undefined || v === null) return '—';
  if (field && field.type === 'spans' && Array.isArray(v)) return v.map((s) => `${s.label} [${s.start}–${s.end})`).join(', ') || 'no spans';
  if (field && field.type === 'boxes' && Array.isArray(v)) return `${v.length} box${v.length === 1 ? '' : 'es'}: ${v.map((b) => `${b.label} (${b.x},${b.y} ${b.w}×${b.h})`).join(', ')}`;
  if (Array.isArray(v)) return v.join(', ') || 'none';
  return String(v);
}

function valueList(schema, value) {
  return h(
    'dl',
    { class: 'value-list' },
    schema.fields.map((f) => [h('dt', null, f.name), h('dd', null, valueText(f, value ? value[f.name] : undefined))]),
  );
}

function isTyping(el) {
  if (!el) return false;
  const t = el.tagName;
  return t === 'TEXTAREA' || t === 'SELECT' || (t === 'INPUT' && !['radio', 'checkbox', 'button', 'submit'].includes(el.type)) || el.isContentEditable;
}

// The item's payload, as text: the text members in full (the text a span field labels is shown
// by that field instead), other members in a short list.
function itemView(item, schema) {
  const data = item.data || {};
  const spanSources = new Set(schema.fields.filter((f) => f.type === 'spans').map((f) => f.source || 'text'));
  const hasBoxes = schema.fields.some((f) => f.type === 'boxes');
  const parts = [];
  const rest = [];
  for (const [k, v] of Object.entries(data)) {
    if (spanSources.has(k)) continue;
    if (hasBoxes && (k === 'image' || k === 'width' || k === 'height')) continue;
    if (typeof v === 'string' && (k === 'text' || v.length > 80)) parts.push(h('div', { class: 'item-text', 'data-member': k }, h('h3', { class: 'member' }, k), h('p', { class: 'pre' }, v)));
    else rest.push([h('dt', null, k), h('dd', null, typeof v === 'string' ? v : JSON.stringify(v))]);
  }
  return h('section', { class: 'item', 'aria-label': 'item' }, parts, rest.length ? h('dl', { class: 'item-meta' }, rest) : null);
}

export class TaskView {
  constructor(root, projectName, kind, nav) {
    this.root = root;
    this.projectName = projectName;
    this.kind = kind;
    this.nav = nav;
    this.task = null;
    this.widgets = [];
    this.timers = [];
    this.onKey = this.onKey.bind(this);
    this.guideOpen = true;
  }

  async start() {
    document.addEventListener('keydown', this.onKey);
    replace(this.root, h('p', { class: 'loading' }, 'Loading…'));
    try {
      this.info = await projectInfo(this.projectName);
    } catch (e) {
      replace(this.root, h('p', { class: 'error', role: 'alert' }, `This project cannot be opened: ${e.message}`), h('a', { href: '/', 'data-nav': '' }, 'Back to my projects'));
      return;
    }
    await this.next();
  }

  stop() {
    document.removeEventListener('keydown', this.onKey);
    this.clearTimers();
    for (const w of this.widgets) if (w.destroy) w.destroy();
    this.widgets = [];
  }

  clearTimers() {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    clearTimeout(this.draftTimer);
  }

  async next() {
    this.clearTimers();
    let res;
    try {
      res = await api('POST', `/api/v1/projects/${enc(this.projectName)}/tasks/next`, { kind: this.kind });
    } catch (e) {
      const reason = e.status === 403 ? 'forbidden' : e.status === 409 && /workflow/.test(e.message) ? 'noworkflow' : 'error';
      this.renderEmpty(reason, e.message);
      return;
    }
    if (!res || !res.task) {
      this.renderEmpty(res ? res.reason : 'empty');
      return;
    }
    this.render(res.task);
  }

  renderEmpty(reason, msg) {
    for (const w of this.widgets) if (w.destroy) w.destroy();
    this.widgets = [];
    this.task = null;
    const text = {
      empty: 'Nothing to do here right now. Thank you!',
      paused: 'Your work on this project is paused by the project manager.',
      cap: 'You reached the number of tasks for today.',
      forbidden: 'Your role does not allow this in this project.',
      noworkflow: 'This project has no workflow yet, so there are no tasks: ask the project manager to set one.',
    }[reason] || `The next task could not be loaded: ${msg || reason}.`;
    const back = h('a', { href: '/', 'data-nav': '', class: 'button' }, 'Back to my projects');
    replace(this.root, h('section', { class: 'empty', 'data-view': 'empty' }, h('h1', { tabindex: '-1' }, TITLES[this.kind] || 'Tasks', ' · ', this.projectName), h('p', { role: 'status' }, text), back));
    back.focus();
  }

  render(task) {
    for (const w of this.widgets) if (w.destroy) w.destroy();
    this.task = task;
    this.submitKey = newKey();
    this.history = [];
    this.dirtySince = false;
    this.lastActivity = Date.now();
    const schema = this.info.project.schema || { fields: [] };
    this.schema = schema;
    const ctx = { item: task.item, project: this.projectName, changed: () => this.changed() };
    this.widgets = [];
    const fieldsEl = h('div', { class: 'fields' });
    for (const f of schema.fields) {
      const w = makeWidget(f, ctx);
      if (!w) continue;
      w.field = f;
      this.widgets.push(w);
      fieldsEl.append(w.el);
    }
    // Starting value: a saved draft, else rework's previous label, else the label under review,
    // else the model's pre-label.
    let start = null;
    this.prelabel = null;
    if (task.draft && task.draft.value) start = task.draft.value;
    else if (task.draft && typeof task.draft === 'object' && !('value' in task.draft)) start = task.draft;
    else if (task.kind === 'rework' && task.previous) start = task.previous.value;
    else if (task.kind === 'review' && task.labels && task.labels[0]) start = task.labels[0].value;
    else if (task.kind === 'adjudicate') start = this.agreement(task);
    else if (task.prelabel && task.prelabel.value) {
      start = task.prelabel.value;
      this.prelabel = clone(task.prelabel.value);
    }
    if (task.prelabel && task.prelabel.value) this.prelabel = clone(task.prelabel.value);
    this.reviewed = task.kind === 'review' && task.labels && task.labels[0] ? clone(task.labels[0].value) : null;
    this.setValue(start || {});
    this.last = this.value();

    const kind = task.kind;
    const title = h('h1', { tabindex: '-1' }, `${TITLES[kind] || kind} · ${this.projectName}`);
    this.leaseEl = h('span', { class: 'lease', role: 'timer', 'aria-live': 'off', 'aria-label': 'time left on this task' });
    this.draftEl = h('span', { class: 'draft-state', 'aria-live': 'polite' });
    const head = h(
      'header',
      { class: 'task-head' },
      title,
      h('span', { class: `badge kind-${kind}` }, kind),
      h('span', { class: 'item-id' }, `item ${task.item.external_id || task.item.id}`),
      h('span', { class: 'lease-wrap' }, 'Time left ', this.leaseEl),
      this.draftEl,
    );

    const panels = [];
    if (kind === 'rework' && task.previous) panels.push(this.reworkPanel(task.previous));
    if (this.prelabel && kind === 'label')
      panels.push(h('p', { class: 'note prelabel' }, `Pre-filled by the model ${task.prelabel.model || ''}${typeof task.prelabel.score === 'number' ? ` (score ${task.prelabel.score.toFixed(2)})` : ''}: check and correct it.`));
    if (kind === 'review' && task.labels && task.labels.length)
      panels.push(h('p', { class: 'note' }, `Label by ${task.labels.map((l) => l.annotator).join(', ')}. Accept it, fix it and accept, or reject it with reasons.`));
    if (kind === 'adjudicate' || (kind === 'review' && task.labels && task.labels.length > 1)) panels.push(this.comparePanel(task));

    this.feedbackEl = h('div', { class: 'feedback-slot' });
    const actions = this.actions(kind);
    const main = h('div', { class: 'task-main' }, panels, itemView(task.item, schema), fieldsEl, actions, this.feedbackEl);
    const side = this.guidePanel();
    const view = h('section', { class: `task task-${kind}`, 'data-view': kind, 'data-lease': task.lease }, head, h('div', { class: 'task-body' }, main, side));
    replace(this.root, view);
    this.startTimers();
    title.focus({ preventScroll: true });
    const first = this.widgets.find((w) => w.kind === 'choice') || this.widgets[0];
    if (first) first.focus();
    announce(`${TITLES[kind] || kind}: item ${task.item.external_id || task.item.id}.`);
    // For bench/bench_ui.mjs: when a task is on screen (after layout of its widgets).
    performance.mark('lo-task-ready');
    requestAnimationFrame(() => setTimeout(() => performance.mark('lo-task-painted'), 0));
  }

  reworkPanel(prev) {
    return h(
      'section',
      { class: 'rework-panel', 'aria-label': 'returned by the reviewer' },
      h('h2', null, 'Returned for rework'),
      h('div', { class: 'rework-grid' },
        h('div', null,
          h('h3', null, 'Reviewer’s reasons'),
          h('ul', { class: 'reasons' }, (prev.reasons || []).map((r) => h('li', null, r))),
          prev.comment ? h('blockquote', { class: 'comment' }, prev.comment) : h('p', { class: 'hint' }, 'No comment.')),
        h('div', null, h('h3', null, 'Your previous label'), valueList(this.schema, prev.value))),
    );
  }

  // What an adjudicator starts from: every field on which the labels that count all agree, and
  // the server's majority merge of the boxes or spans field (task.merged: the objects most
  // annotators drew). Null when there is no such field and no agreement.
  agreement(task) {
    const counting = (task.labels || []).filter((l) => !l.status || l.status === 'active');
    const start = {};
    if (counting.length >= 2)
      for (const f of this.schema.fields) {
        const v = counting[0].value[f.name];
        if (v !== undefined && counting.every((l) => deepEqual(l.value[f.name], v))) start[f.name] = clone(v);
      }
    Object.assign(start, clone(task.merged || {}));
    return Object.keys(start).length ? start : null;
  }

  comparePanel(task) {
    const labels = task.labels || [];
    const rows = this.schema.fields.map((f) => {
      let body;
      if (f.type === 'boxes') {
        body = boxesOverlay(f, { item: task.item, project: this.projectName }, labels);
      } else if (f.type === 'spans') {
        const text = (task.item.data || {})[f.source || 'text'] || '';
        const cps = Array.from(text);
        body = h(
          'div',
          { class: 'stacked' },
          labels.map((l, j) => {
            const c = h('div', { class: 'span-text small' });
            renderSpanText(c, cps, Array.isArray(l.value[f.name]) ? l.value[f.name] : [], f.classes, -1);
            return h('div', { class: `stack-row a${j % 6}` }, h('div', { class: 'who' }, l.annotator), c);
          }),
        );
      } else {
        body = h('ul', { class: 'side-by-side' }, labels.map((l, j) => h('li', { class: `a${j % 6}` }, h('span', { class: 'who' }, `${l.annotator}: `), h('strong', null, valueText(f, l.value[f.name])))));
      }
      return h('div', { class: 'compare-field' }, h('h3', null, f.name), body);
    });
    const picks = labels.map((l) =>
      h('button', { type: 'button', class: 'small', onclick: () => this.replaceValue(l.value, `Started from ${l.annotator}’s label.`) }, `Start from ${l.annotator}’s label`),
    );
    const agreed = task.kind === 'adjudicate' ? this.agreement(task) : null;
    if (agreed) picks.unshift(h('button', { type: 'button', class: 'small', onclick: () => this.replaceValue(agreed, 'Started from what the labels agree on.') }, 'Start from what they agree on'));
    const hint = agreed
      ? `The editor starts from what the labels agree on${task.merged ? ' (the objects most annotators drew)' : ''}; add what is missing, or start from one label.`
      : 'Pick one label to start from, then correct it below, or compose the final label yourself.';
    return h('section', { class: 'compare', 'aria-label': 'the labels to reconcile' }, h('h2', null, `${labels.length} labels`), rows, h('div', { class: 'picks' }, picks), h('p', { class: 'hint' }, hint));
  }

  guidePanel() {
    const g = this.info.guideline;
    const body = h('div', { class: 'guide-body' });
    if (g && g.body) body.append(renderMarkdown(g.body));
    else body.append(h('p', { class: 'hint' }, 'This project has no guidelines yet.'));
    const types = new Set(((this.schema || {}).fields || []).map((f) => f.type));
    const list = (rows) => h('dl', { class: 'keys' }, rows.map(([k, v]) => [h('dt', null, h('kbd', null, k)), h('dd', null, v)]));
    const keys = [
      list([
        ['1–9', 'choose a class'],
        ['Enter', this.kind === 'review' ? 'accept (or fix and accept)' : 'submit'],
        ['Ctrl+Z', 'undo'],
        ['Alt+S', 'skip'],
        ['Alt+F', 'flag'],
        ['Alt+G', 'guidelines'],
      ]),
    ];
    // The keys of the widgets on this screen (docs/ui.md has them all).
    if (types.has('spans'))
      keys.push(
        h('h3', null, 'In the text'),
        list([
          ['← →', 'move (Ctrl: by word)'],
          ['Shift+← →', 'select'],
          ['1–9', 'label the selection'],
          ['[ ]', 'choose a span'],
          ['Alt+← →', "move the chosen span's end (Shift: its start)"],
          ['E', 'chosen span takes the selection'],
          ['Delete', 'remove the chosen span'],
          ['mouse', "drag the chosen span's handles"],
        ]),
      );
    if (types.has('boxes'))
      keys.push(
        h('h3', null, 'On the image'),
        list([
          ['N', 'new box'],
          ['[ ]', 'choose a box'],
          ['arrows', 'move it (Shift: 10 px)'],
          ['Alt+arrows', 'resize (Shift: left/top edge)'],
          ['1–9', 'its class'],
          ['Delete', 'remove it'],
          ['+ − 0', 'zoom, fit'],
        ]),
      );
    this.guideEl = h(
      'details',
      { class: 'guide', open: this.guideOpen, ontoggle: () => (this.guideOpen = this.guideEl.open) },
      h('summary', null, `Guidelines${g && g.version ? ` (version ${g.version})` : ''}`),
      body,
    );
    return h('aside', { class: 'task-side', 'aria-label': 'guidelines and keys' }, this.guideEl, h('details', { class: 'keys-box' }, h('summary', null, 'Keys'), keys));
  }

  actions(kind) {
    const btn = (text, cls, fn, title) => h('button', { type: 'button', class: cls, onclick: fn, title }, text);
    this.undoBtn = btn('Undo', 'secondary', () => this.undo(), 'Ctrl+Z');
    this.undoBtn.disabled = true;
    const common = [btn('Skip', 'secondary', () => this.skip(), 'Alt+S'), btn('Flag…', 'secondary', () => this.flagDialog(), 'Alt+F'), this.undoBtn];
    if (kind === 'review') {
      this.fixBtn = btn('Fix and accept', 'primary', () => this.review('fix'));
      this.fixBtn.disabled = true;
      return h('div', { class: 'actions', role: 'group', 'aria-label': 'decision' }, btn('Accept', 'primary', () => this.review('accept'), 'Enter'), this.fixBtn, btn('Reject…', 'danger', () => this.rejectDialog()), common);
    }
    return h('div', { class: 'actions', role: 'group', 'aria-label': 'actions' }, btn(kind === 'adjudicate' ? 'Submit final label' : 'Submit', 'primary', () => this.submit(), 'Enter'), common);
  }

  // ---- values, undo, draft ------------------------------------------------------------------

  value() {
    const v = {};
    for (const w of this.widgets) {
      const x = w.get();
      if (x !== null && x !== undefined) v[w.field.name] = x;
    }
    return v;
  }

  setValue(v) {
    for (const w of this.widgets) w.set(v ? v[w.field.name] : undefined);
  }

  replaceValue(v, msg) {
    this.history.push(this.last);
    this.setValue(clone(v) || {});
    this.last = this.value();
    this.afterChange();
    if (msg) announce(msg);
  }

  changed() {
    const now = this.value();
    if (deepEqual(now, this.last)) return;
    this.history.push(this.last);
    if (this.history.length > 200) this.history.shift();
    this.last = now;
    this.afterChange();
  }

  afterChange() {
    this.lastActivity = Date.now();
    for (const w of this.widgets) {
      if (!w.el.classList.contains('invalid')) continue;
      w.el.classList.remove('invalid');
      const note = w.el.querySelector(':scope > .field-error');
      if (note) note.remove();
    }
    this.undoBtn.disabled = this.history.length === 0;
    if (this.fixBtn) this.fixBtn.disabled = deepEqual(this.last, this.reviewed || {});
    clearTimeout(this.draftTimer);
    this.draftEl.textContent = 'Unsaved changes';
    this.draftTimer = setTimeout(() => this.saveDraft(), DRAFT_DELAY_MS);
  }

  undo() {
    if (!this.history.length) return;
    const v = this.history.pop();
    this.setValue(v);
    this.last = this.value();
    this.undoBtn.disabled = this.history.length === 0;
    if (this.fixBtn) this.fixBtn.disabled = deepEqual(this.last, this.reviewed || {});
    clearTimeout(this.draftTimer);
    this.draftTimer = setTimeout(() => this.saveDraft(), DRAFT_DELAY_MS);
    announce('Undone.');
  }

  async saveDraft() {
    const task = this.task;
    if (!task) return;
    try {
      await api('PUT', `/api/v1/tasks/${enc(task.lease)}/draft`, { value: this.value() });
      if (this.task === task) this.draftEl.textContent = `Draft saved ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      if (this.task === task) this.draftEl.textContent = `Draft not saved: ${e.message}`;
    }
  }

  // ---- lease ----------------------------------------------------------------------------------

  startTimers() {
    const tick = () => {
      if (!this.task) return;
      const left = (this.task.expires_ms - (Date.now() + clockSkewMs)) / 1000;
      this.leaseEl.textContent = left > 0 ? fmtDuration(left) : 'expired';
      this.leaseEl.classList.toggle('warn', left < 60);
    };
    tick();
    this.timers.push(setInterval(tick, 1000));
    const every = Math.max(10, Math.min(120, (this.task.lease_seconds || 600) / 3)) * 1000;
    this.lastBeat = Date.now();
    this.timers.push(
      setInterval(() => {
        if (this.lastActivity > this.lastBeat) this.heartbeat();
      }, every),
    );
  }

  async heartbeat() {
    const task = this.task;
    if (!task) return;
    this.lastBeat = Date.now();
    try {
      const r = await api('POST', `/api/v1/tasks/${enc(task.lease)}/heartbeat`, {});
      if (r && r.expires_ms && this.task === task) task.expires_ms = r.expires_ms;
    } catch (e) {
      if (this.task === task) announce(`The lease could not be extended: ${e.message}`, 'error');
    }
  }

  // ---- decisions ------------------------------------------------------------------------------

  fieldError(e) {
    const msg = e instanceof ApiError && e.field ? `${e.field}: ${e.message}` : e.message;
    announce(`Not accepted: ${msg}`, 'error');
    if (e.field) {
      // The server names the member of the submitted body: value.<field>[...] (or <field>).
      const name = String(e.field).replace(/^value(?=[.[])\.?/, '').split(/[.[]/)[0];
      const w = this.widgets.find((x) => x.field.name === name);
      if (w) {
        // The red border is not the only signal: the field says in words what is wrong.
        w.el.classList.add('invalid');
        let note = w.el.querySelector(':scope > .field-error');
        if (!note) {
          note = h('p', { class: 'field-error' });
          w.el.querySelector('legend').after(note);
        }
        note.textContent = `Not accepted: ${e.message}`;
        w.focus();
      }
    }
  }

  async post(path, body) {
    const task = this.task;
    clearTimeout(this.draftTimer);
    this.busy = true;
    try {
      return await api('POST', `/api/v1/tasks/${enc(task.lease)}/${path}`, body, path === 'submit' ? { idempotencyKey: this.submitKey } : undefined);
    } finally {
      this.busy = false;
    }
  }

  async submit() {
    if (!this.task || this.busy) return;
    const value = this.value();
    const body = { value };
    if (this.task.kind === 'label' || this.task.kind === 'rework') body.prelabel = this.prelabel ? (deepEqual(value, this.prelabel) ? 'accepted' : 'edited') : null;
    await this.finish(body);
  }

  async review(verdict, reasons, comment) {
    if (!this.task || this.busy) return;
    const body = { verdict };
    if (verdict === 'fix') body.value = this.value();
    if (verdict === 'reject') body.reasons = reasons;
    if (comment) body.comment = comment;
    await this.finish(body);
  }

  async finish(body) {
    performance.mark('lo-submit');
    let res;
    try {
      res = await this.post('submit', body);
    } catch (e) {
      if (e.status === 409) {
        announce(`This task was lost: ${e.message}. Loading the next one.`, 'error');
        await this.next();
        return;
      }
      this.fieldError(e);
      return;
    }
    const kind = this.task.kind;
    this.draftEl.textContent = '';
    announce(kind === 'review' ? `Decision saved (${body.verdict}).` : 'Submitted.');
    if (res && res.feedback) {
      this.showFeedback(res.feedback);
      return;
    }
    await this.next();
  }

  showFeedback(fb) {
    const expected = fb.expected;
    const excerpt = this.feedbackExcerpt(fb);
    const cont = h('button', { type: 'button', class: 'primary', onclick: () => this.next() }, 'Next task');
    this.task = null;
    this.clearTimers();
    replace(
      this.feedbackEl,
      h(
        'section',
        { class: `gold ${fb.correct ? 'ok' : 'bad'}`, 'data-view': 'gold-feedback', role: 'alert' },
        h('h2', null, fb.correct ? 'Correct — this was a gold item.' : 'Not the expected answer — this was a gold item.'),
        h('h3', null, 'Expected'),
        expected && typeof expected === 'object' && !Array.isArray(expected) ? valueList(this.schema, expected) : h('p', null, valueText(null, expected)),
        excerpt,
        cont,
      ),
    );
    for (const b of this.root.querySelectorAll('.actions button')) b.disabled = true;
    cont.focus();
  }

  // The guideline part of gold feedback: the section the gold item names (fb.section, its
  // heading text), or without one the section whose heading names the expected class (a guess).
  // A named section missing from the current guidelines is said to be missing, with its name.
  feedbackExcerpt(fb) {
    const title = `From the guidelines${fb.guideline_version ? ` (version ${fb.guideline_version})` : ''}`;
    const named = typeof fb.section === 'string' && fb.section.trim() ? fb.section.trim() : null;
    if (!named) {
      const guess = this.guideSectionFor(fb.expected);
      return guess ? h('div', { class: 'guide-excerpt' }, h('h3', null, title), guess) : null;
    }
    const section = this.guideSectionNamed(named);
    if (section) return h('div', { class: 'guide-excerpt', 'data-section': 'found' }, h('h3', null, title), section);
    return h(
      'div',
      { class: 'guide-excerpt', 'data-section': 'missing' },
      h('h3', null, title),
      h('p', { class: 'guide-missing' }, h('strong', null, named), ' — this section is not in the current guidelines.'),
    );
  }

  // The guideline rendered as nodes (a fresh copy each time: sections are moved out of it).
  guideNodes() {
    const g = this.info.guideline;
    if (!g || !g.body) return null;
    return Array.from(renderMarkdown(g.body).childNodes);
  }

  // nodes[at] (a heading) and what follows it up to the next heading of its level or above.
  static sectionAt(nodes, at) {
    const level = Number(nodes[at].nodeName[1]);
    const out = h('div', { class: 'guide-body' });
    for (let i = at; i < nodes.length; i++) {
      if (i > at && /^H[1-6]$/.test(nodes[i].nodeName) && Number(nodes[i].nodeName[1]) <= level) break;
      out.append(nodes[i]);
    }
    return out;
  }

  // The section whose heading text is name (trimmed, case-insensitive), or null.
  guideSectionNamed(name) {
    const nodes = this.guideNodes();
    if (!nodes) return null;
    const want = name.trim().toLowerCase();
    const at = nodes.findIndex((n) => /^H[1-6]$/.test(n.nodeName) && n.textContent.trim().toLowerCase() === want);
    return at < 0 ? null : TaskView.sectionAt(nodes, at);
  }

  // The guideline section whose heading names the expected class.
  guideSectionFor(expected) {
    const nodes = this.guideNodes();
    if (!nodes) return null;
    const words = [];
    const collect = (v) => {
      if (typeof v === 'string') words.push(v.toLowerCase());
      else if (Array.isArray(v)) v.forEach(collect);
      else if (v && typeof v === 'object') Object.values(v).forEach(collect);
    };
    collect(expected);
    const at = nodes.findIndex((n) => /^H[1-6]$/.test(n.nodeName) && words.some((w) => n.textContent.toLowerCase().includes(w)));
    return at < 0 ? null : TaskView.sectionAt(nodes, at);
  }

  async skip() {
    if (!this.task || this.busy) return;
    try {
      await this.post('skip', {});
      announce('Skipped.');
      await this.next();
    } catch (e) {
      announce(`Not skipped: ${e.message}`, 'error');
    }
  }

  dialog(title, body, okText, onOk) {
    const form = h('form', { method: 'dialog', class: 'dialog-form' });
    const ok = h('button', { type: 'submit', class: 'primary', value: 'ok' }, okText);
    const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => dlg.close() }, 'Cancel');
    const titleId = uid('dlg');
    form.append(h('h2', { id: titleId }, title), body, h('div', { class: 'actions' }, ok, cancel));
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const err = onOk();
      if (err) {
        announce(err, 'error');
        return;
      }
      dlg.close();
    });
    dlg.addEventListener('close', () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
    return dlg;
  }

  flagDialog() {
    if (!this.task) return;
    const reasons = this.info.workflow.flag_reasons || ['unclear_guideline', 'broken_data', 'sensitive_content', 'other'];
    const id = uid('fr');
    const sel = h('select', { id, required: true }, reasons.map((r) => h('option', { value: r }, r.replace(/_/g, ' '))));
    const cid = uid('fc');
    const ta = h('textarea', { id: cid, rows: 3 });
    this.dialog(
      'Flag this item',
      h('div', null, h('label', { for: id }, 'Reason'), sel, h('label', { for: cid }, 'Comment for the project manager'), ta),
      'Flag',
      () => {
        this.flag(sel.value, ta.value);
        return null;
      },
    );
    sel.focus();
  }

  async flag(reason, comment) {
    try {
      await this.post('flag', comment ? { reason, comment } : { reason });
      announce('Flagged for the project manager.');
      await this.next();
    } catch (e) {
      announce(`Not flagged: ${e.message}`, 'error');
    }
  }

  rejectDialog() {
    if (!this.task) return;
    const reasons = (this.info.workflow.rework && this.info.workflow.rework.reasons) || ['wrong_label', 'incomplete', 'guideline', 'other'];
    const boxes = reasons.map((r) => {
      const id = uid('rr');
      return h('div', { class: 'check' }, h('input', { type: 'checkbox', id, value: r, name: 'reason' }), h('label', { for: id }, r.replace(/_/g, ' ')));
    });
    const cid = uid('rc');
    const ta = h('textarea', { id: cid, rows: 3 });
    this.dialog(
      'Reject this label',
      h('div', null, h('fieldset', null, h('legend', null, 'Reasons (one or more)'), boxes), h('label', { for: cid }, 'Comment for the annotator'), ta),
      'Reject',
      () => {
        const chosen = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
        if (!chosen.length) return 'Choose at least one reason.';
        this.review('reject', chosen, ta.value);
        return null;
      },
    );
    boxes[0].querySelector('input').focus();
  }

  // ---- keys -----------------------------------------------------------------------------------

  onKey(e) {
    if (!this.root.isConnected || document.querySelector('dialog[open]')) return;
    const t = document.activeElement;
    if (e.altKey && !e.ctrlKey && !e.metaKey) {
      const k = e.key.toLowerCase();
      if (k === 's') this.skip();
      else if (k === 'f') this.flagDialog();
      else if (k === 'g') {
        this.guideEl.open = !this.guideEl.open;
        if (this.guideEl.open) this.guideEl.querySelector('summary').focus();
      } else return;
      e.preventDefault();
      return;
    }
    if (isTyping(t)) return;
    if ((e.ctrlKey || e.metaKey) && e.key === 'z') {
      this.undo();
      e.preventDefault();
      return;
    }
    if (!this.task) return;
    if (/^[0-9]$/.test(e.key) && !e.ctrlKey && !e.metaKey) {
      const owner = this.widgets.find((w) => w.el.contains(t)) || this.widgets.find((w) => w.kind === 'choice');
      if (owner && owner.key(e)) e.preventDefault();
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      if (t && (t.tagName === 'BUTTON' || t.tagName === 'A' || t.tagName === 'SUMMARY')) return;
      e.preventDefault();
      if (this.task.kind === 'review') this.review(deepEqual(this.value(), this.reviewed || {}) ? 'accept' : 'fix');
      else this.submit();
    }
  }
}

export { valueList, clear };
