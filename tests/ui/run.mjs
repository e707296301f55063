// run.mjs - the browser UI end to end: the real labelops server, Debian's chromium, a person's
// clicks and keys. Run with `node tests/ui/run.mjs [path/to/labelops]` (tests/ui/run.sh does the
// npm ci first). Ends with "N passed, N failed"; screenshots of every view go to
// build/ui-artifacts/ (or $UI_ARTIFACTS).
//
// The scenario (issue 6): an annotator labels a classification, a span and a box task; a
// reviewer rejects one with a reason; the annotator sees the reason and reworks; the reviewer
// accepts; the API then shows the final labels and the events. Besides: a task whose text holds
// <img onerror> and <script> shows them as text and runs nothing; guideline Markdown is rendered
// without raw HTML or javascript: links; adjudication shows every label; gold feedback after a
// submit; keyboard-only labeling; the page's CSP refuses inline script. Accessibility: axe-core
// (WCAG 2.0/2.1 A and AA) on every view that is screenshot (a11y_<view>), a visible focus
// indicator on every tab stop of the labeling view, and colour never the only signal (span
// tags and line styles, box patterns, field errors in words). No waits on time: every wait is
// for something on the page.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, Fixture, Server, binary, browser, signIn, Report } from './lib.mjs';

const ART = process.env.UI_ARTIFACTS || join(ROOT, 'build', 'ui-artifacts');
const t = new Report();
const PW = (u) => `pw-${u}-0123456789`;

const XSS_TEXT =
  'Great blender, quiet and strong. <img src=x onerror="window.__xss=1;alert(1)"> ' +
  '<script>window.__xss=2;alert(2)</script> Would buy again.';

const GUIDE = `# Sentiment guidelines

Label the **overall** sentiment of the review.

## positive

The reviewer would recommend the product.

## negative

The reviewer would *not* recommend it. Raw HTML is text: <img src=x onerror="window.__xss=3">
<script>window.__xss=4</script> and [a bad link](javascript:window.__xss=5) is not a link.

- one
- two
`;

// A text laid out in blocks (web/js/widgets/spans.js): a short paragraph, a blank line, a
// paragraph of about 2,600 characters without newlines (cut into blocks after sentence ends),
// a last line. The sentences carry non-BMP characters so that code points and UTF-16 differ.
const LONG_SENTENCES = Array.from({ length: 40 }, (_, i) => `Sentence ${i} tells of Ada Lovelace 🙂 and Charles Babbage in London, Zürich and 東京 on day ${i}.`);
const LONG_TEXT = `A short first paragraph.\n\n${LONG_SENTENCES.join(' ')}\nThe last line.`;

// Two annotators' spans on one sentence, for adjudication: code points 0-12 "Ada Lovelace",
// 17-32 "Charles Babbage", 36-42 "London".
const ADJ_SPAN_TEXT = 'Ada Lovelace met Charles Babbage in London.';

function setup(fx) {
  for (const [u, role] of [['ann', 'annotator'], ['ann2', 'annotator'], ['rev', 'reviewer'], ['pm', 'manager']]) fx.user(u, role, PW(u));
  const write = (name, rows) => {
    const p = join(fx.dir, name);
    writeFileSync(p, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return p;
  };
  const project = (name, schema, items, wf) => {
    fx.cli('project', 'create', name, '--schema', join(ROOT, 'examples', 'schemas', schema));
    for (const [u, role] of [['ann', 'annotator'], ['ann2', 'annotator'], ['rev', 'reviewer']]) fx.cli('member', 'add', name, u, '--role', role);
    fx.cli('import', 'items', name, write(`${name}.jsonl`, items));
    fx.cli('workflow', 'set', name, write(`${name}-wf.json`, [wf]));
  };
  const review = { review: { mode: 'all' } };
  project('ui-cls', 'sentiment.json', [{ id: 'cls-1', text: XSS_TEXT }], review);
  fx.cli('guideline', 'set', 'ui-cls', '-', { input: GUIDE });
  project('ui-spans', 'ner.json', [{ id: 'sp-1', text: 'Zoë K. moved to København in 2020 and joined Acme Corp.' }], review);
  project('ui-long', 'ner.json', [{ id: 'long-1', text: LONG_TEXT }], { review: { mode: 'none' } });
  const images = fx.images(1);
  fx.cli('project', 'create', 'ui-boxes', '--schema', join(ROOT, 'examples', 'schemas', 'detection.json'));
  for (const [u, role] of [['ann', 'annotator'], ['rev', 'reviewer']]) fx.cli('member', 'add', 'ui-boxes', u, '--role', role);
  fx.cli('import', 'items', 'ui-boxes', images);
  fx.cli('workflow', 'set', 'ui-boxes', write('boxes-wf.json', [{ review: { mode: 'all' }, prelabels: false }]));
  // Two annotators who disagree on a street scene: adjudication with the boxes overlaid.
  fx.cli('project', 'create', 'ui-adjbox', '--schema', join(ROOT, 'examples', 'schemas', 'detection.json'));
  for (const [u, role] of [['ann', 'annotator'], ['ann2', 'annotator'], ['rev', 'reviewer']]) fx.cli('member', 'add', 'ui-adjbox', u, '--role', role);
  fx.cli('import', 'items', 'ui-adjbox', images);
  fx.cli('workflow', 'set', 'ui-adjbox', write('adjbox-wf.json', [{ overlap: { k: 2 } }]));
  project('ui-adj', 'sentiment.json', [{ id: 'adj-1', text: 'It works, I suppose. The lid cracked in a week.' }], { overlap: { k: 2 } });
  project('ui-adjspan', 'ner.json', [{ id: 'adjspan-1', text: ADJ_SPAN_TEXT }], { overlap: { k: 2 } });
  // Two gold items naming their guideline section (gold_section): one the guidelines have
  // (written in other case), one they do not.
  project('ui-gold', 'sentiment.json', [
    { id: 'gold-1', data: { text: 'Terrible. Broke on the first day.' }, gold: { sentiment: 'negative' }, gold_section: 'Negative' },
    { id: 'gold-2', data: { text: 'Oh great, another charger that lasts an hour.' }, gold: { sentiment: 'negative' }, gold_section: 'Sarcasm' },
  ], {
    gold: { share: 0.9, feedback: true }, // the most the engine allows; main() asks again when not drawn
  });
  fx.cli('guideline', 'set', 'ui-gold', '-', { input: GUIDE });
  // Drafts, the lease's heartbeat, skip and flag: a short lease so that a heartbeat comes soon.
  project('ui-misc', 'sentiment.json', ['m-1', 'm-2', 'm-3'].map((id) => ({ id, text: `Item ${id}: fine, I guess.` })), { lease_seconds: 30 });
  fx.cli('member', 'add', 'ui-misc', 'pm', '--role', 'manager');
}

// axe-core, as tests/ui/package-lock.json pins it (run.sh's npm ci installs it).
const AXE_SRC = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

// Runs axe-core on the page as it is and returns its violations, each with its rule, impact,
// node count and first targets. The page's CSP (script-src 'self', Trusted Types with no policy)
// refuses page.addScriptTag: an inline <script> is blocked by script-src, and setting its text
// throws under Trusted Types. page.evaluate goes through the DevTools protocol, which the CSP
// does not govern, so axe's source is evaluated that way; the server's policy stays as it is.
async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SRC);
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length, targets: v.nodes.slice(0, 3).map((x) => x.target.join(' ')) }));
  }, AXE_TAGS);
}

// One check per screenshot view: a11y_<view> fails on any WCAG 2.0/2.1 A or AA violation.
async function a11y(page, name) {
  const view = name.replace(/^\d+[a-z]?-/, '').replace(/-/g, '_');
  const v = await axeViolations(page);
  t.check(`a11y_${view}`, v.length === 0, v.map((x) => `${x.id} (${x.impact}, ${x.n}): ${x.targets.join(' | ')}`).join('; '));
}

// Tabs through the whole page (every tab stop, until one comes round again) and checks that
// each stop shows a focus indicator: a computed outline (style not none, width > 0) or a box
// shadow, different from the same element's style once the focus has moved on.
async function focusVisibleOnEveryStop(page, view) {
  const style = (i) =>
    page.evaluate((k) => {
      const el = k < 0 ? document.activeElement : window.__stops[k];
      const c = getComputedStyle(el);
      return { outline: `${c.outlineStyle} ${c.outlineWidth} ${c.outlineColor}`, on: (c.outlineStyle !== 'none' && parseFloat(c.outlineWidth) > 0) || c.boxShadow !== 'none', shadow: c.boxShadow };
    }, i);
  await page.evaluate(() => (window.__stops = []));
  const stops = [];
  for (let n = 0; n < 150; n++) {
    await page.keyboard.press('Tab');
    const at = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return { k: -1 };
      const seen = window.__stops.indexOf(el);
      if (seen >= 0) return { k: seen, again: true };
      window.__stops.push(el);
      const what = el.tagName.toLowerCase() + (el.type ? `[${el.type}]` : '') + (el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : '');
      return { k: window.__stops.length - 1, what: `${what} "${(el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 24)}"` };
    });
    if (stops.length) stops[stops.length - 1].off = await style(stops.length - 1);
    if (at.again) break;
    if (at.k < 0) continue; // past the last stop: the browser's own UI, then round again
    stops.push({ what: at.what, focused: await style(-1) });
  }
  const bad = stops.filter((x) => !x.focused.on || (x.off && x.focused.outline === x.off.outline && x.focused.shadow === x.off.shadow));
  t.check(`focus_visible_on_every_stop_${view}`, stops.length >= 8 && bad.length === 0, `${stops.length} stops; without a visible change: ${bad.map((x) => `${x.what} (${x.focused.outline} / ${x.off ? x.off.outline : '?'})`).join('; ')}`);
}

async function shot(page, name) {
  // From the top: a full-page capture of a scrolled page draws the sticky task header where
  // the scroll left it, over the content.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ART, `${name}.png`), fullPage: true });
  await a11y(page, name);
}

// Watches a page for anything the XSS payloads would do: a dialog, a global they set, a
// console error about a CSP violation.
function guard(page, tag) {
  const g = { dialogs: 0, errors: [], csp: [] };
  page.on('dialog', (d) => {
    g.dialogs++;
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => g.errors.push(`${tag}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Trusted Type/i.test(m.text())) g.csp.push(m.text());
  });
  return g;
}

async function labelClassification(page, srv) {
  await page.click('[data-project="ui-cls"] a:has-text("Start labeling")');
  await page.waitForSelector('[data-view=label]');
  await shot(page, '02-label-classification');
  await focusVisibleOnEveryStop(page, 'label_classification');
  await page.focus('fieldset[data-field=sentiment] input[value=positive]'); // where the view put it
  // The hostile text is on the page as text, and did nothing.
  const shown = await page.textContent('.item-text .pre');
  t.check('xss_text_is_shown_literally', shown === XSS_TEXT, shown);
  const injected = await page.evaluate(() => ({
    xss: window.__xss,
    imgs: document.querySelectorAll('main img').length,
    scripts: document.querySelectorAll('main script, .guide script').length,
  }));
  t.check('xss_runs_nothing', injected.xss === undefined && injected.imgs === 0 && injected.scripts === 0, JSON.stringify(injected));
  // The guideline: Markdown rendered, raw HTML as text, no javascript: link.
  const guide = await page.evaluate(() => {
    const g = document.querySelector('.guide-body');
    return {
      h2: Array.from(g.querySelectorAll('h2')).map((x) => x.textContent),
      strong: g.querySelector('strong') && g.querySelector('strong').textContent,
      text: g.textContent,
      hrefs: Array.from(g.querySelectorAll('a')).map((a) => a.getAttribute('href')),
      imgs: g.querySelectorAll('img').length,
    };
  });
  t.check('guideline_markdown_rendered', guide.h2.join('|') === 'positive|negative' && guide.strong === 'overall', JSON.stringify(guide.h2));
  t.check('guideline_raw_html_is_text', guide.text.includes('<script>window.__xss=4</script>') && guide.imgs === 0, guide.text.slice(0, 200));
  t.check('guideline_javascript_link_dropped', guide.hrefs.every((h) => !/^javascript:/i.test(h)), JSON.stringify(guide.hrefs));
  // Keyboard only: 2 picks "negative"? No: the first class is positive, so 1.
  await page.keyboard.press('1');
  t.check('number_key_chooses_class', await page.isChecked('fieldset[data-field=sentiment] input[value=positive]'));
  await page.keyboard.press('3');
  await page.keyboard.press('Control+z');
  t.check('undo_restores_previous_choice', await page.isChecked('fieldset[data-field=sentiment] input[value=positive]'));
  // Keyboard only: Tab to the note, type, Tab to Submit, Enter.
  await page.keyboard.press('Tab');
  t.check('tab_reaches_the_note', await page.evaluate(() => document.activeElement.tagName === 'TEXTAREA'));
  await page.keyboard.type('Clear positive; the markup is noise.');
  await page.keyboard.press('Tab');
  t.check('tab_reaches_submit', (await page.evaluate(() => document.activeElement.textContent)) === 'Submit');
  const leaseBefore = await page.getAttribute('[data-view=label]', 'data-lease');
  await page.keyboard.press('Enter');
  await page.waitForFunction((l) => !document.querySelector(`[data-lease="${l}"]`), leaseBefore);
  await page.waitForSelector('[data-view=empty]');
  const left = await page.textContent('[data-view=empty] [role=status]');
  t.check('submit_with_enter_then_nothing_left', /Nothing to do/.test(left), left);
  await shot(page, '02b-empty');
}

async function labelSpans(page) {
  await page.goto(page.url().replace(/\/p\/.*$/, '/p/ui-spans/label'));
  await page.waitForSelector('[data-view=label] .span-text');
  // Keyboard: to "København" (code points 16..25), Shift+arrows, 3 = LOC.
  await page.focus('.span-text');
  for (let i = 0; i < 16; i++) await page.keyboard.press('ArrowRight');
  for (let i = 0; i < 9; i++) await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('3');
  // Mouse: select "Acme Corp" by dragging over its text, then the ORG class button.
  const acme = await page.evaluate(() => {
    const seg = Array.from(document.querySelectorAll('.span-text .seg')).find((s) => s.textContent.includes('Acme Corp'));
    const node = seg.firstChild;
    const i = node.data.indexOf('Acme Corp');
    const r = document.createRange();
    r.setStart(node, i);
    r.setEnd(node, i + 1);
    const a = r.getBoundingClientRect();
    r.setStart(node, i + 8);
    r.setEnd(node, i + 9);
    const b = r.getBoundingClientRect();
    return { x0: a.left + 1, y: (a.top + a.bottom) / 2, x1: b.right - 1 };
  });
  await page.mouse.move(acme.x0, acme.y);
  await page.mouse.down();
  await page.mouse.move(acme.x1, acme.y, { steps: 4 });
  await page.mouse.up();
  await page.click('fieldset[data-field=entities] .cls-bar button:has-text("ORG")');
  await page.click('.span-details summary'); // the list of spans opens on demand
  await page.waitForSelector('.span-list li');
  const list = await page.$$eval('.span-list li button.linkish', (bs) => bs.map((b) => b.textContent));
  t.check('spans_by_keyboard_and_mouse', list.length === 2 && list[0].includes('16–25') && list[1].includes('Acme Corp'), JSON.stringify(list));
  // Edit: choose the LOC span ([), widen it to "København in" and press E; relabel it with 4
  // (MISC); then undo both.
  await page.focus('.span-text');
  await page.keyboard.press('[');
  for (let i = 0; i < 3; i++) await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('e');
  await page.keyboard.press('4');
  const edited = await page.$$eval('.span-list li button.linkish', (bs) => bs.map((b) => b.textContent));
  t.check('span_range_and_class_edited', edited[0].startsWith('16–28') && edited[0].endsWith('MISC'), JSON.stringify(edited));
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
  await page.waitForSelector('.span-list li');
  const undone = await page.$$eval('.span-list li button.linkish', (bs) => bs.map((b) => b.textContent));
  t.check('span_edits_undone', JSON.stringify(undone) === JSON.stringify(list), JSON.stringify(undone));
  // The mouse: choose the LOC span (]), drag its end handle from "København" to the end of
  // "København in"; one undo step puts it back.
  await page.focus('.span-text');
  await page.keyboard.press(']');
  const handle = await page.locator('fieldset[data-field=entities] .sp-end').boundingBox();
  t.check('chosen_span_shows_drag_handles', (await page.locator('fieldset[data-field=entities] .sp-handle:not([hidden])').count()) === 2 && handle !== null);
  const target = await page.evaluate(() => {
    const seg = Array.from(document.querySelectorAll('.span-text .seg')).find((x) => x.textContent.startsWith(' in 2020'));
    const r = document.createRange();
    r.setStart(seg.firstChild, 3);
    r.setEnd(seg.firstChild, 4);
    const q = r.getBoundingClientRect();
    return { x: q.left + 1, y: (q.top + q.bottom) / 2 };
  });
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(target.x, target.y, { steps: 5 });
  await page.mouse.up();
  const dragged = await page.$$eval('.span-list li button.linkish', (bs) => bs.map((b) => b.textContent));
  t.check('span_end_dragged_with_the_mouse', dragged.length === 2 && dragged[0].startsWith('16–28') && dragged[0].endsWith('LOC'), JSON.stringify(dragged));
  await page.keyboard.press('Control+z');
  await page.waitForSelector('.span-list li');
  const back = await page.$$eval('.span-list li button.linkish', (bs) => bs.map((b) => b.textContent));
  t.check('span_drag_is_one_undo_step', JSON.stringify(back) === JSON.stringify(list), JSON.stringify(back));
  const keysBox = await page.textContent('.keys-box');
  t.check('keys_panel_lists_the_span_keys', keysBox.includes('In the text') && keysBox.includes('label the selection') && !keysBox.includes('On the image'), keysBox);
  await page.keyboard.press(']'); // the chosen span with its handles, for the screenshot
  // Colour is never the only signal: each class shown is named in a tag at its spans' starts,
  // and the classes' underlines differ in line style too; every class's tag is readable.
  const sig = await page.evaluate(() => {
    const names = {};
    for (const b of document.querySelectorAll('.cls-bar button.cls')) names[/\bc\d\b/.exec(b.className)[0]] = b.lastChild.textContent.trim();
    const shown = {};
    for (const m of document.querySelectorAll('.span-text mark.sp')) {
      const c = /\bc\d\b/.exec(m.className)[0];
      const e = (shown[c] = shown[c] || { tags: [], line: getComputedStyle(m).borderBottomStyle });
      const tag = m.querySelector(':scope > .tag');
      if (tag) e.tags.push(tag.textContent);
    }
    const lum = (rgb) => {
      const [r, g, b] = rgb.match(/[\d.]+/g).slice(0, 3).map((v) => {
        const x = Number(v) / 255;
        return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const probe = document.createElement('div');
    document.body.append(probe);
    const contrast = [];
    for (let i = 0; i < 10; i++) {
      const tag = document.createElement('span');
      tag.className = `tag c${i}`;
      tag.textContent = 'X';
      probe.append(tag);
      const cs = getComputedStyle(tag);
      const [a, b] = [lum(cs.color), lum(cs.backgroundColor)].sort((x, y) => y - x);
      contrast.push(Math.round(((a + 0.05) / (b + 0.05)) * 100) / 100);
    }
    probe.remove();
    return { names, shown, contrast };
  });
  const shownCls = Object.keys(sig.shown);
  t.check(
    'span_classes_named_in_tags_and_line_styles',
    shownCls.length >= 2 && shownCls.every((c) => sig.shown[c].tags.length >= 1 && sig.shown[c].tags.every((x) => x === sig.names[c])) && new Set(shownCls.map((c) => sig.shown[c].line)).size === shownCls.length,
    JSON.stringify(sig.shown),
  );
  t.check('span_tags_readable_in_every_class_colour', sig.contrast.every((x) => x >= 4.5), JSON.stringify(sig.contrast));
  await shot(page, '03-label-spans');
  await page.click('.actions button:has-text("Submit")');
  await page.waitForSelector('[data-view=empty]');
}

// A long text is shown in blocks that together are the text, each cut after a newline or a
// sentence end; a span dragged with the mouse across a block boundary gets the right code
// point offsets, shows in both blocks and is stored as such.
async function labelLongText(page, srv) {
  await page.goto(page.url().replace(/\/p\/.*$/, '/p/ui-long/label'));
  await page.waitForSelector('[data-view=label] .span-text .blk');
  const blocks = await page.$$eval('.span-text .blk', (bs) => bs.map((b) => Array.from(b.querySelectorAll('.seg'), (s) => s.textContent).join('')));
  t.check('long_text_blocks_are_the_text', blocks.join('') === LONG_TEXT && blocks.length >= 5, `${blocks.length} blocks`);
  const cps = (x) => Array.from(x).length;
  const soft = blocks.filter((b, i) => i + 1 < blocks.length && !b.endsWith('\n'));
  t.check(
    'long_text_cut_after_newlines_and_sentence_ends',
    blocks.every((b) => cps(b) <= 1201) && soft.length >= 2 && soft.every((b) => /\. $/.test(b)),
    JSON.stringify(blocks.map((b) => [cps(b), b.slice(-12)])),
  );
  const heights = await page.$$eval('.span-text .blk', (bs) => bs.map((b) => b.getBoundingClientRect().height));
  t.check('long_text_blank_line_kept', blocks[1] === '\n' && heights[1] > heights[0] * 0.5, JSON.stringify(heights.slice(0, 3)));
  // Drag from "Babbage" at the end of the first soft block to "Sentence" at the start of the next.
  const k = blocks.indexOf(soft[0]);
  const from = blocks[k].lastIndexOf('Charles Babbage') + 'Charles '.length;
  const to = 'Sentence'.length;
  const pts = await page.evaluate(
    ([k, from, to]) => {
      const bs = document.querySelectorAll('.span-text .blk');
      bs[k + 1].scrollIntoView({ block: 'start' });
      document.querySelector('.span-text').scrollTop -= 80; // the end of block k in view too
      const at = (blk, off, end) => {
        const w = document.createTreeWalker(blk, NodeFilter.SHOW_TEXT, { acceptNode: (n) => (n.parentElement.closest('.seg') ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT) });
        let n;
        while ((n = w.nextNode())) {
          if (off <= n.data.length - (end ? 0 : 1)) {
            const r = document.createRange();
            r.setStart(n, end ? off - 1 : off);
            r.setEnd(n, end ? off : off + 1);
            const q = r.getBoundingClientRect();
            return { x: end ? q.right - 1 : q.left + 1, y: (q.top + q.bottom) / 2 };
          }
          off -= n.data.length;
        }
        return null;
      };
      return [at(bs[k], from, false), at(bs[k + 1], to, true)];
    },
    [k, from, to],
  );
  await page.mouse.move(pts[0].x, pts[0].y);
  await page.mouse.down();
  await page.mouse.move(pts[1].x, pts[1].y, { steps: 6 });
  await page.mouse.up();
  await page.focus('.span-text');
  await page.keyboard.press('1');
  const start = cps(blocks.slice(0, k).join('')) + cps(blocks[k].slice(0, from));
  const end = cps(blocks.slice(0, k + 1).join('')) + to;
  const marked = await page.$$eval('.span-text .blk', (bs) => bs.map((b) => b.querySelectorAll('mark.sp').length));
  t.check('span_across_blocks_shown_in_both', marked[k] >= 1 && marked[k + 1] >= 1 && marked.filter((m) => m > 0).length === 2, JSON.stringify(marked));
  await shot(page, '03b-label-long-text');
  await page.click('.actions button:has-text("Submit")');
  await page.waitForSelector('[data-view=empty]');
  const items = (await srv.api('ann', 'GET', '/api/v1/projects/ui-long/items?limit=1')).data.items;
  const item = (await srv.api('ann', 'GET', `/api/v1/projects/ui-long/items/${items[0].id}`)).data;
  const got = JSON.stringify(((item.annotations || [])[0] || { value: {} }).value.entities);
  t.check('span_across_blocks_stored_with_code_point_offsets', got === JSON.stringify([{ start, end, label: 'PER' }]), `${got} want ${start}-${end}`);
}

async function labelBoxes(page) {
  await page.goto(page.url().replace(/\/p\/.*$/, '/p/ui-boxes/label'));
  await page.waitForSelector('[data-view=label] .bx-stage');
  // The image comes through the media route.
  await page.waitForFunction(() => {
    const img = document.querySelector('.bx-image');
    return img && img.getAttribute('href') && img.getBBox().width > 0;
  });
  const href = await page.getAttribute('.bx-image', 'href');
  t.check('box_image_from_media_route', /\/api\/v1\/projects\/ui-boxes\/items\/\d+\/media$/.test(href), href);
  const svg = await page.locator('.bx-svg').boundingBox();
  // Class 1 = car (current); draw one box with the mouse.
  await page.mouse.move(svg.x + svg.width * 0.3, svg.y + svg.height * 0.4);
  await page.mouse.down();
  await page.mouse.move(svg.x + svg.width * 0.5, svg.y + svg.height * 0.7, { steps: 6 });
  await page.mouse.up();
  // Keyboard: a second box, class pedestrian (2), moved right by 10 px, then deleted; undo.
  await page.focus('.bx-stage');
  await page.keyboard.press('n');
  await page.keyboard.press('2');
  await page.keyboard.press('Shift+ArrowRight');
  let n = await page.$$eval('.bx-boxes .box', (b) => b.length);
  t.check('boxes_drawn_by_mouse_and_keyboard', n === 2, `${n}`);
  const labels = await page.$$eval('.bx-boxes .box text', (ts) => ts.map((x) => x.textContent));
  t.check('box_class_shown_as_text', labels.join(',') === 'car,pedestrian', labels.join(','));
  await page.keyboard.press('Delete');
  n = await page.$$eval('.bx-boxes .box', (b) => b.length);
  t.check('box_deleted_with_delete_key', n === 1, `${n}`);
  // Zoom and pan leave the boxes where they are in image pixels.
  const before = await page.getAttribute('.bx-boxes .box rect', 'x');
  await page.keyboard.press('+');
  await page.keyboard.press('Escape');
  await page.keyboard.press('ArrowLeft');
  const after = await page.getAttribute('.bx-boxes .box rect', 'x');
  const tr = await page.getAttribute('.bx-view', 'transform');
  t.check('zoom_and_pan_move_the_view_not_the_boxes', before === after && /scale\((?!1\))/.test(tr), `${before} ${after} ${tr}`);
  await page.keyboard.press('0');
  await page.evaluate(() => (document.querySelector('.keys-box').open = true)); // axe sees the keys too
  await shot(page, '04-label-boxes');
  // With a box chosen, so that its panel (class, x, y, width, height, delete) is tabbed too.
  await page.focus('.bx-stage');
  await page.keyboard.press(']');
  await focusVisibleOnEveryStop(page, 'label_boxes');
  await page.click('.actions button:has-text("Submit")');
  await page.waitForSelector('[data-view=empty]');
}

async function reviewerPass(page, base, first) {
  await page.goto(`${base}/p/ui-cls/review`);
  await page.waitForSelector('[data-view=review]');
  const shown = await page.textContent('.item-text .pre');
  t.check('review_shows_text_literally', shown === XSS_TEXT, shown);
  t.check('review_starts_from_the_label', await page.isChecked('fieldset[data-field=sentiment] input[value=positive]'));
  await shot(page, '05-review');
  await page.click('.actions button:has-text("Accept")');
  await page.waitForSelector('[data-view=empty]');

  await page.goto(`${base}/p/ui-spans/review`);
  await page.waitForSelector('[data-view=review]');
  await page.click('.actions button:has-text("Reject")');
  await page.waitForSelector('dialog[open]');
  await page.check('dialog[open] input[value=wrong_label]');
  await page.fill('dialog[open] textarea', 'Acme Corp is fine, but København is a place: LOC is right; add Zoë K. as PER.');
  await shot(page, '06-review-reject');
  await page.click('dialog[open] button[type=submit]');
  await page.waitForSelector('[data-view=empty]');

  // The boxes: fix and accept (move the box right by 10 px with the keyboard).
  await page.goto(`${base}/p/ui-boxes/review`);
  await page.waitForSelector('[data-view=review] .bx-stage');
  t.check('fix_disabled_until_edited', await page.isDisabled('.actions button:has-text("Fix and accept")'));
  await page.focus('.bx-stage');
  await page.keyboard.press(']');
  await page.keyboard.press('Shift+ArrowRight');
  await page.click('.actions button:has-text("Fix and accept")');
  await page.waitForSelector('[data-view=empty]');
  return first;
}

async function rework(page, base) {
  await page.goto(`${base}/`);
  await page.waitForSelector('[data-view=home]');
  const fb = await page.textContent('[data-project="ui-spans"]');
  t.check('home_shows_reviewer_feedback', /reject/i.test(fb) && fb.includes('wrong_label'), fb);
  await shot(page, '07-home-feedback');
  await page.goto(`${base}/p/ui-spans/label`);
  await page.waitForSelector('[data-view=rework]');
  const panel = await page.textContent('.rework-panel');
  t.check('rework_shows_reasons_and_comment', panel.includes('wrong_label') && panel.includes('add Zoë K. as PER'), panel);
  await page.click('.span-details summary');
  await page.waitForSelector('.span-list li'); // the toggle event builds it
  const prev = await page.$$eval('.span-list li button.linkish', (bs) => bs.map((b) => b.textContent));
  t.check('rework_starts_from_previous_label', prev.length === 2, JSON.stringify(prev));
  await shot(page, '08-rework');
  // Add Zoë K. (code points 0..6) as PER with the keyboard.
  await page.focus('.span-text');
  await page.keyboard.press('Home');
  for (let i = 0; i < 6; i++) await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('1');
  await page.click('.actions button:has-text("Submit")');
  await page.waitForSelector('[data-view=empty]');
}

async function adjudicate(page, srv, base) {
  // Two annotators disagree (through the API); the reviewer adjudicates in the browser.
  for (const [u, v] of [['ann', 'positive'], ['ann2', 'negative']]) {
    const n = await srv.api(u, 'POST', '/api/v1/projects/ui-adj/tasks/next', { kind: 'label' });
    const s = await srv.api(u, 'POST', `/api/v1/tasks/${n.data.task.lease}/submit`, { value: { sentiment: v } }, { 'Idempotency-Key': `adj-${u}` });
    t.check(`adjudication_setup_${u}`, s.status === 201, JSON.stringify(s.data));
  }
  await page.goto(`${base}/p/ui-adj/adjudicate`);
  await page.waitForSelector('[data-view=adjudicate], [data-view=empty]');
  const view = await page.getAttribute('[data-view]', 'data-view');
  if (!t.check('adjudication_task_served', view === 'adjudicate', view)) return;
  const cmp = await page.textContent('.compare');
  t.check('adjudication_shows_every_label', cmp.includes('ann: positive') && cmp.includes('ann2: negative'), cmp);
  await page.click('.picks button:has-text("ann2")');
  t.check('adjudication_starts_from_a_pick', await page.isChecked('fieldset[data-field=sentiment] input[value=negative]'));
  await shot(page, '09-adjudicate');
  await page.click('.actions button:has-text("Submit final label")');
  await page.waitForSelector('[data-view=empty]');
}

async function adjudicateBoxes(page, srv, base) {
  const labels = {
    ann: { objects: [{ x: 100, y: 200, w: 120, h: 60, label: 'car' }], scene: 'day' },
    ann2: { objects: [{ x: 110, y: 205, w: 110, h: 55, label: 'car' }, { x: 300, y: 150, w: 20, h: 60, label: 'pedestrian' }], scene: 'dusk' },
  };
  for (const [u, v] of Object.entries(labels)) {
    const n = await srv.api(u, 'POST', '/api/v1/projects/ui-adjbox/tasks/next', { kind: 'label' });
    const r = await srv.api(u, 'POST', `/api/v1/tasks/${n.data.task.lease}/submit`, { value: v }, { 'Idempotency-Key': `adjbox-${u}` });
    t.check(`box_adjudication_setup_${u}`, r.status === 201, JSON.stringify(r.data));
  }
  await page.goto(`${base}/p/ui-adjbox/adjudicate`);
  await page.waitForSelector('[data-view=adjudicate], [data-view=empty]');
  if (!t.check('box_adjudication_served', (await page.getAttribute('[data-view]', 'data-view')) === 'adjudicate')) return;
  const tags = await page.$$eval('.compare svg.overlay .box', (gs) => gs.map((g) => [g.getAttribute('class'), g.textContent]));
  const names = tags.map((x) => x[1]).sort();
  const styles = new Set(tags.map((x) => x[0]));
  t.check('box_overlay_names_every_annotator', JSON.stringify(names) === JSON.stringify(['ann2: car', 'ann2: pedestrian', 'ann: car']), JSON.stringify(names));
  t.check('box_overlay_colour_and_pattern_per_annotator', styles.size === 2 && [...styles].every((c) => /\ba\d\b/.test(c) && /\bp\d\b/.test(c)), JSON.stringify([...styles]));
  // The editor starts from the car both drew (the server's merge), not ann2's pedestrian, and
  // leaves the scene they disagree on unchosen.
  await page.waitForSelector('.bx-boxes .box', { timeout: 5000 }).catch(() => {}); // none: the check says so
  const start = await page.$$eval('.bx-boxes .box text', (ts) => ts.map((x) => x.textContent));
  const scene = await page.$$eval('fieldset[data-field=scene] input:checked', (is) => is.map((i) => i.value));
  t.check('box_adjudication_starts_from_the_merge', JSON.stringify(start) === JSON.stringify(['car']) && scene.length === 0, JSON.stringify({ start, scene }));
  await shot(page, '12-adjudicate-boxes');
  await page.click('.picks button:has-text("ann2")');
  await page.click('.actions button:has-text("Submit final label")');
  await page.waitForSelector('[data-view=empty]');
}

// Spans in adjudication: each annotator's spans stacked on their own copy of the text, named;
// the reviewer starts from one label, relabels a span and adds one by keyboard; the item's
// final label is the composed one.
async function adjudicateSpans(page, srv, base) {
  const labels = {
    ann: [{ start: 0, end: 12, label: 'PER' }, { start: 36, end: 42, label: 'LOC' }],
    ann2: [{ start: 0, end: 12, label: 'PER' }, { start: 17, end: 32, label: 'ORG' }],
  };
  for (const [u, v] of Object.entries(labels)) {
    const n = await srv.api(u, 'POST', '/api/v1/projects/ui-adjspan/tasks/next', { kind: 'label' });
    const r = await srv.api(u, 'POST', `/api/v1/tasks/${n.data.task.lease}/submit`, { value: { entities: v } }, { 'Idempotency-Key': `adjspan-${u}` });
    t.check(`span_adjudication_setup_${u}`, r.status === 201, JSON.stringify(r.data));
  }
  await page.goto(`${base}/p/ui-adjspan/adjudicate`);
  await page.waitForSelector('[data-view=adjudicate], [data-view=empty]');
  if (!t.check('span_adjudication_served', (await page.getAttribute('[data-view]', 'data-view')) === 'adjudicate', JSON.stringify((await srv.api('rev', 'GET', '/api/v1/projects/ui-adjspan/me')).data))) return;
  // One row per annotator, each naming them and showing their spans (text and class tag).
  const rows = await page.$$eval('.compare .stacked .stack-row', (rs) =>
    rs.map((r) => ({ who: r.querySelector('.who').textContent, text: r.querySelector('.span-text').textContent })),
  );
  const has = (who, ...parts) => rows.some((r) => r.who === who && parts.every((x) => r.text.includes(x)));
  t.check(
    'span_adjudication_stacks_each_annotator',
    rows.length === 2 && has('ann', ADJ_SPAN_TEXT.slice(0, 12), 'London') && has('ann2', 'Charles Babbage') && rows.every((r) => /PER/.test(r.text)) &&
      rows.some((r) => r.who === 'ann2' && /ORG/.test(r.text) && !/LOC/.test(r.text)) && rows.some((r) => r.who === 'ann' && /LOC/.test(r.text) && !/ORG/.test(r.text)),
    JSON.stringify(rows),
  );
  // The editor starts from what both agree on: the PER span both marked, nothing else.
  await page.click('fieldset[data-field=entities] .span-details summary'); // the list opens on demand
  // (filled on the details' toggle event, which comes after the click; an empty start never
  // fills it, and the check below says so)
  await page.waitForSelector('fieldset[data-field=entities] .span-list li', { timeout: 5000 }).catch(() => {});
  const startList = await page.$$eval('fieldset[data-field=entities] .span-list li button.linkish', (bs) => bs.map((b) => b.textContent));
  t.check('span_adjudication_starts_from_the_agreement', startList.length === 1 && startList[0].startsWith('0–12') && startList[0].endsWith('PER'), JSON.stringify(startList));
  await shot(page, '12b-adjudicate-spans');
  await page.click('.picks button:has-text("ann2")');
  // Compose: the second span (Charles Babbage, ORG) becomes PER; London is added as LOC.
  await page.focus('fieldset[data-field=entities] .span-text');
  await page.keyboard.press(']');
  await page.keyboard.press(']');
  await page.keyboard.press('1');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Home');
  for (let i = 0; i < 36; i++) await page.keyboard.press('ArrowRight');
  for (let i = 0; i < 6; i++) await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('3');
  await page.click('.actions button:has-text("Submit final label")');
  await page.waitForSelector('[data-view=empty]');
  const items = (await srv.api('rev', 'GET', '/api/v1/projects/ui-adjspan/items?limit=10')).data.items;
  const it = (await srv.api('rev', 'GET', `/api/v1/projects/ui-adjspan/items/${items[0].id}`)).data;
  const wf = it.workflow || {};
  const got = JSON.stringify(((wf.final || {}).entities || []).map((e) => [e.start, e.end, e.label]).sort((a, b) => a[0] - b[0]));
  t.check('span_adjudication_final_is_the_composed_label', wf.state === 'complete' && got === JSON.stringify([[0, 12, 'PER'], [17, 32, 'PER'], [36, 42, 'LOC']]), JSON.stringify(wf));
}

// The next task of ui-gold: the label view, or null when the queue is empty.
async function nextGold(page, base, first) {
  // Gold is drawn with probability gold.share (0.9 at most); the project has nothing else, so
  // a draw without gold may find an empty queue: ask again (20 tries fail with p = 1e-20).
  for (let i = 0; i < 20; i++) {
    if (i > 0 || first) await page.goto(`${base}/p/ui-gold/label`);
    await page.waitForSelector('[data-view=label], [data-view=empty]');
    if ((await page.getAttribute('[data-view]', 'data-view')) === 'label') return true;
  }
  return false;
}

async function gold(page, base) {
  // Both gold items, in the order the server serves them; each names its guideline section.
  const seen = new Set();
  for (let n = 0; n < 2; n++) {
    t.check(`gold_task_${n + 1}_served`, await nextGold(page, base, n === 0), 'the queue was empty');
    const text = await page.textContent('[data-view=label]');
    const which = text.includes('Terrible.') ? 'gold-1' : text.includes('another charger') ? 'gold-2' : '?';
    seen.add(which);
    await page.keyboard.press('1'); // positive: the gold answer is negative
    await page.keyboard.press('Enter'); // the shortcut, from the chosen radio button
    await page.waitForSelector('[data-view=gold-feedback]');
    const fb = await page.textContent('[data-view=gold-feedback]');
    const excerpt = await page.getAttribute('[data-view=gold-feedback] .guide-excerpt', 'data-section').catch(() => null);
    if (which === 'gold-1') {
      // The section the item names ("Negative"), matched to the heading "negative" regardless
      // of case, shown with its heading; the guess (no data-section) would not say "found".
      const heading = await page.textContent('[data-view=gold-feedback] .guide-body h2').catch(() => null);
      t.check('gold_feedback_shows_expected_and_guideline', fb.includes('Not the expected answer') && fb.includes('negative') && fb.includes('would *not*'.replace(/\*/g, '')), fb);
      t.check('gold_feedback_shows_the_named_section', excerpt === 'found' && heading === 'negative' && !fb.includes('would recommend the product'), `${excerpt} ${heading} ${fb}`);
      await shot(page, '10-gold-feedback');
    } else {
      t.check('gold_feedback_says_a_named_section_is_missing', excerpt === 'missing' && fb.includes('Sarcasm') && fb.includes('not in the current guidelines') && !fb.includes('would *not*'.replace(/\*/g, '')), `${excerpt} ${fb}`);
      await shot(page, '10b-gold-feedback-missing-section');
    }
    await page.click('[data-view=gold-feedback] button:has-text("Next task")');
    await page.waitForSelector('[data-view=gold-feedback]', { state: 'detached' });
  }
  t.check('gold_items_both_served', seen.has('gold-1') && seen.has('gold-2'), [...seen].join(','));
  await page.waitForSelector('[data-view=empty]');
}

// The home card's gold figure: live where the project gives gold feedback (ui-gold: the two
// wrong answers just given), and "before today (UTC)" where it does not (ui-cls, no gold
// answered), since there an annotator's record counts from the start of the UTC day
// (docs/api-workflow.md, Me).
async function homeGold(page, base) {
  await page.goto(`${base}/`);
  await page.waitForSelector('[data-view=home] [data-project="ui-gold"]');
  const stats = (p) =>
    page.$$eval(`[data-project="${p}"] .stat`, (els) => Object.fromEntries(els.map((e) => [e.querySelector('.stat-l').textContent, e.querySelector('.stat-v').textContent])));
  const live = await stats('ui-gold');
  const quiet = await stats('ui-cls');
  t.check('home_gold_live_with_feedback_on', live['gold accuracy'] === '0% of 2' && !('gold accuracy before today (UTC)' in live), JSON.stringify(live));
  t.check('home_gold_says_before_today_with_feedback_off', quiet['gold accuracy before today (UTC)'] === 'no gold yet' && !('gold accuracy' in quiet), JSON.stringify(quiet));
}

// Work in progress survives a reload (the draft is saved on the server and comes back with the
// same lease); a heartbeat keeps the lease while the user works; skip and flag move on.
async function draftsAndLeases(page, srv, base) {
  await page.goto(`${base}/p/ui-misc/label`);
  await page.waitForSelector('[data-view=label]');
  const lease = await page.getAttribute('[data-view=label]', 'data-lease');
  const item = await page.textContent('.item-id');
  await page.keyboard.press('2'); // negative
  await page.waitForFunction(() => /Draft saved/.test(document.querySelector('.draft-state').textContent));
  await page.reload();
  await page.waitForSelector('[data-view=label]');
  t.check('reload_keeps_the_lease', (await page.getAttribute('[data-view=label]', 'data-lease')) === lease);
  t.check('reload_restores_the_draft', await page.isChecked('fieldset[data-field=sentiment] input[value=negative]'));
  const left = await page.textContent('.lease');
  t.check('lease_time_left_shown', /^\d+:\d\d$/.test(left), left);
  // The heartbeat comes while the user works (every lease_seconds/3, here 10 s, after activity).
  const beat = page.waitForResponse((r) => r.url().endsWith(`/api/v1/tasks/${lease}/heartbeat`), { timeout: 60000 });
  await page.fill('fieldset[data-field=note] textarea', 'still working on it');
  const res = await beat;
  t.check('heartbeat_extends_the_lease', res.status() === 200 && typeof (await res.json()).expires_ms === 'number', `${res.status()}`);
  // Skip with the keyboard: another item.
  await page.focus('h1');
  await page.keyboard.press('Alt+s');
  await page.waitForFunction((l) => { const v = document.querySelector('[data-view=label]'); return v && v.dataset.lease !== l; }, lease);
  const item2 = await page.textContent('.item-id');
  t.check('skip_moves_to_another_item', item2 !== item, `${item} ${item2}`);
  // A refused submit (the required class missing): the field says so in words, not only with
  // its red border, until it is changed.
  await page.click('.actions button:has-text("Submit")');
  await page.waitForSelector('fieldset[data-field=sentiment].invalid .field-error');
  const said = await page.textContent('fieldset[data-field=sentiment] .field-error');
  t.check('field_error_in_words_not_only_colour', /^Not accepted: \S/.test(said), said);
  await shot(page, '11a-field-error');
  await page.keyboard.press('3'); // neutral: the field is fine now
  t.check('field_error_cleared_by_a_change', (await page.$$('.field.invalid, .field-error')).length === 0);
  // Flag with a reason and a comment.
  const lease2 = await page.getAttribute('[data-view=label]', 'data-lease');
  await page.click('.actions button:has-text("Flag")');
  await page.waitForSelector('dialog[open]');
  await page.selectOption('dialog[open] select', 'broken_data');
  await page.fill('dialog[open] textarea', 'the text is cut off');
  await shot(page, '11-flag');
  await page.click('dialog[open] button[type=submit]');
  await page.waitForFunction((l) => !document.querySelector(`[data-lease="${l}"]`), lease2);
  const q = await srv.api('pm', 'GET', '/api/v1/projects/ui-misc/queue');
  const flagged = JSON.stringify(q.data && q.data.flagged);
  t.check('flag_reaches_the_manager_queue', q.status === 200 && flagged.includes('broken_data') && flagged.includes('the text is cut off'), `${q.status} ${flagged}`);
}

async function finalState(srv) {
  const items = async (p) => (await srv.api('rev', 'GET', `/api/v1/projects/${p}/items?limit=10`)).data.items;
  const cls = await items('ui-cls');
  const one = async (p, id) => (await srv.api('rev', 'GET', `/api/v1/projects/${p}/items/${id}`)).data;
  const c = await one('ui-cls', cls[0].id);
  const clsVals = (c.annotations || []).map((a) => a.value);
  t.check('api_final_classification', clsVals.some((v) => v.sentiment === 'positive' && v.note === 'Clear positive; the markup is noise.'), JSON.stringify(clsVals));
  const sp = await items('ui-spans');
  const s = await one('ui-spans', sp[0].id);
  const last = (s.annotations || []).map((a) => a.value).pop() || {};
  const got = JSON.stringify((last.entities || []).map((e) => [e.start, e.end, e.label]).sort((a, b) => a[0] - b[0]));
  t.check('api_final_spans_after_rework', got === JSON.stringify([[0, 6, 'PER'], [16, 25, 'LOC'], [45, 54, 'ORG']]), got);
  const hist = await srv.api('rev', 'GET', `/api/v1/projects/ui-spans/items/${sp[0].id}/history`);
  const kinds = JSON.stringify(hist.data);
  t.check('api_events_show_the_round_trip', hist.status === 200 && /reject/.test(kinds) && /rework/.test(kinds) && /accept/.test(kinds), kinds.slice(0, 400));
  const wf = s.workflow || {};
  const finalSpans = JSON.stringify(((wf.final || {}).entities || []).map((e) => [e.start, e.end, e.label]).sort((a, b) => a[0] - b[0]));
  t.check('api_spans_item_complete_with_the_reworked_final_label', wf.state === 'complete' && finalSpans === got, JSON.stringify(wf));
  const bx = await items('ui-boxes');
  const b = await one('ui-boxes', bx[0].id);
  const vals = (b.annotations || []).map((a) => a.value.objects || []);
  t.check('api_final_boxes_fixed_by_reviewer', vals.length >= 1 && vals[vals.length - 1].length === 1 && vals[vals.length - 1][0].label === 'car', JSON.stringify(vals));
}

async function cspRefusesInline(page, base) {
  await page.goto(`${base}/`);
  const r = await page.evaluate(() => {
    const out = {};
    try {
      document.body.innerHTML = '<b>x</b>';
      out.innerHTML = 'allowed';
    } catch (e) {
      out.innerHTML = 'refused';
    }
    try {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1;';
      document.head.append(s);
      out.script = 'appended';
    } catch (e) {
      out.script = 'refused'; // Trusted Types refuse script text from a string
    }
    out.inline = window.__inline;
    return out;
  });
  t.check('csp_refuses_innerhtml_and_inline_script', r.innerHTML === 'refused' && r.inline === undefined, JSON.stringify(r));
}

async function main() {
  mkdirSync(ART, { recursive: true });
  for (const f of readdirSync(ART)) if (f.endsWith('.png')) rmSync(join(ART, f));
  const fx = new Fixture(binary());
  let srv;
  let b;
  const pages = [];
  try {
    setup(fx);
    srv = await Server.start(fx);
    b = await browser();
    const annCtx = await b.newContext({ viewport: { width: 1366, height: 768 } });
    const ann = await annCtx.newPage();
    pages.push(ann);
    const gAnn = guard(ann, 'ann');
    await ann.goto(`${srv.base}/`);
    await ann.waitForSelector('[data-view=signin]');
    await shot(ann, '00-signin');
    // A wrong password: the form says so in words (an alert), keeps the name, and stays.
    await ann.fill('#si-name', 'ann');
    await ann.fill('#si-pw', 'not-the-password-0');
    await ann.click('form.signin button[type=submit]');
    await ann.waitForFunction(() => document.querySelector('form.signin [role=alert]').textContent !== '');
    const siErr = await ann.textContent('form.signin [role=alert]');
    t.check('signin_wrong_password_says_so', /wrong user name or password/.test(siErr) && (await ann.inputValue('#si-name')) === 'ann' && (await ann.$('[data-view=signin]')) !== null, siErr);
    await shot(ann, '00b-signin-error');
    await signIn(ann, srv.base, 'ann', PW('ann'));
    await shot(ann, '01-home');
    const home = await ann.textContent('main');
    t.check('home_lists_my_projects', ['ui-cls', 'ui-spans', 'ui-boxes'].every((p) => home.includes(p)), home.slice(0, 200));
    await labelClassification(ann, srv);
    await labelSpans(ann);
    await labelLongText(ann, srv);
    await labelBoxes(ann);

    const revCtx = await b.newContext({ viewport: { width: 1366, height: 768 } });
    const rev = await revCtx.newPage();
    pages.push(rev);
    const gRev = guard(rev, 'rev');
    await signIn(rev, srv.base, 'rev', PW('rev'));
    await reviewerPass(rev, srv.base);
    await rework(ann, srv.base);
    await rev.goto(`${srv.base}/p/ui-spans/review`);
    await rev.waitForSelector('[data-view=review]');
    await rev.click('.actions button:has-text("Accept")');
    await rev.waitForSelector('[data-view=empty]');
    await finalState(srv);
    await adjudicate(rev, srv, srv.base);
    await adjudicateBoxes(rev, srv, srv.base);
    await adjudicateSpans(rev, srv, srv.base);
    await gold(ann, srv.base);
    await homeGold(ann, srv.base);
    await draftsAndLeases(ann, srv, srv.base);
    await cspRefusesInline(ann, srv.base);

    for (const [name, g] of [['annotator', gAnn], ['reviewer', gRev]]) {
      t.check(`no_dialog_opened_${name}`, g.dialogs === 0, `${g.dialogs}`);
      t.check(`no_page_error_${name}`, g.errors.length === 0, g.errors.join('; '));
    }
  } catch (e) {
    t.check('scenario_ran_to_the_end', false, e.stack || String(e));
    // What the pages showed when it stopped: a screenshot and the status line of each.
    for (const [i, p] of pages.entries()) {
      await p.screenshot({ path: join(ART, `failure-${i}.png`), fullPage: true }).catch(() => {});
      console.log(`     page ${i} ${p.url()} status: ${await p.textContent('#status').catch(() => '?')}`);
    }
  } finally {
    if (b) await b.close();
    if (srv) await srv.stop();
    fx.cleanup();
  }
  process.exit(t.end());
}

main();
