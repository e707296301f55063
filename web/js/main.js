// main.js - the UI's entry: the session, the views and the routes between them.
//
//   /signin                      sign in
//   /                            my projects (annotator home)
//   /p/{project}/label           labeling (serves rework first)
//   /p/{project}/review          review
//   /p/{project}/adjudicate      adjudication
//
// The server answers every such path with index.html (src/http/static.c); this module reads
// location.pathname and draws the view. Links marked data-nav move with the History API.

import { h, replace, announce } from './dom.js';
import { api, session, loadSession, signIn, signOut, enc } from './api.js';
import { TaskView, projectInfo } from './task.js';
import { fmtDuration } from './dom.js';

const main = document.getElementById('main');
let current = null;

function navigate(path, replaceState) {
  if (replaceState) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
}

document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[data-nav]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', () => route());
window.addEventListener('lo-unauth', () => {
  if (location.pathname !== '/signin') navigate(`/signin?next=${encodeURIComponent(location.pathname)}`, true);
});

function header() {
  const who = document.getElementById('whoami');
  const nav = document.getElementById('nav');
  if (!session.user) {
    replace(who);
    replace(nav);
    return;
  }
  replace(nav, h('a', { href: '/', 'data-nav': '' }, 'My projects'));
  replace(
    who,
    h('span', null, `${session.user} (${session.role})`),
    ' ',
    h('button', {
      type: 'button',
      class: 'secondary small',
      onclick: async () => {
        await signOut().catch(() => {});
        navigate('/signin', true);
      },
    }, 'Sign out'),
  );
}

async function route() {
  if (current && current.stop) current.stop();
  current = null;
  const path = location.pathname;
  if (path === '/signin') {
    header();
    return viewSignIn();
  }
  if (!session.user && !(await loadSession())) {
    navigate(`/signin?next=${encodeURIComponent(path)}`, true);
    return;
  }
  header();
  const m = /^\/p\/([^/]+)\/(label|review|adjudicate)$/.exec(path);
  if (m) {
    const view = new TaskView(main, decodeURIComponent(m[1]), m[2], navigate);
    current = view;
    document.title = `${m[2]} · ${decodeURIComponent(m[1])} · labelops`;
    return view.start();
  }
  document.title = 'My projects · labelops';
  return viewHome();
}

// ---- sign in ------------------------------------------------------------------------------------

function viewSignIn() {
  document.title = 'Sign in · labelops';
  const name = h('input', { id: 'si-name', name: 'username', autocomplete: 'username', required: true });
  const pw = h('input', { id: 'si-pw', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'signin', 'data-view': 'signin' },
    h('h1', null, 'Sign in to labelops'),
    h('label', { for: 'si-name' }, 'User name'),
    name,
    h('label', { for: 'si-pw' }, 'Password'),
    pw,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    err,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      await signIn(name.value, pw.value);
      const next = new URLSearchParams(location.search).get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', true);
    } catch (ex) {
      err.textContent = ex.status === 429 ? 'Too many attempts; wait a while and try again.' : ex.message;
      pw.select();
    }
  });
  replace(main, form);
  name.focus();
}

// ---- home -----------------------------------------------------------------------------------------

function stat(label, value) {
  return h('div', { class: 'stat' }, h('div', { class: 'stat-v' }, value), h('div', { class: 'stat-l' }, label));
}

function projectCard(p, me) {
  const name = p.name;
  const links = [];
  const role = (me && me.role) || session.role;
  // docs/api-workflow.md, Me: queue {label, rework, review, adjudicate}.
  const q = (me && me.queue) || {};
  links.push(h('a', { class: 'button primary', href: `/p/${enc(name)}/label`, 'data-nav': '' }, q.rework ? 'Rework and label' : 'Start labeling'));
  if (['reviewer', 'manager', 'admin'].includes(role) || ['reviewer', 'manager', 'admin'].includes(session.role)) {
    links.push(h('a', { class: 'button', href: `/p/${enc(name)}/review`, 'data-nav': '' }, `Review${q.review !== undefined ? ` (${q.review})` : ''}`));
    links.push(h('a', { class: 'button', href: `/p/${enc(name)}/adjudicate`, 'data-nav': '' }, `Adjudicate${q.adjudicate !== undefined ? ` (${q.adjudicate})` : ''}`));
  }
  const stats = [];
  if (me) {
    stats.push(stat('to label', String(q.label ?? '—')));
    if (q.rework) stats.push(stat('returned to me', String(q.rework)));
    if (q.review !== undefined && ['reviewer', 'manager', 'admin'].includes(role)) stats.push(stat('waiting for review', String(q.review)));
    stats.push(stat('labels this week', String(me.week ? me.week.labels : 0)));
    stats.push(stat('time this week', me.week ? fmtDuration(me.week.working_seconds || 0) : '0:00'));
    // With gold feedback off an annotator's record is the one as of 00:00 UTC (as_of): today's
    // answers count from tomorrow, and the label says so.
    const g = me.gold || {};
    const acc = g.total ? `${Math.round((g.accuracy ?? g.correct / g.total) * 100)}% of ${g.total}` : 'no gold yet';
    stats.push(stat(g.as_of ? 'gold accuracy before today (UTC)' : 'gold accuracy', acc));
  }
  const fb = me && Array.isArray(me.feedback) ? me.feedback : [];
  return h(
    'article',
    { class: 'card project', 'data-project': name },
    h('h2', null, name),
    p.description ? h('p', { class: 'desc' }, p.description) : null,
    me && me.paused ? h('p', { class: 'note warn' }, 'Your work here is paused by the project manager.') : null,
    h('div', { class: 'stats' }, stats),
    h('div', { class: 'links' }, links),
    fb.length
      ? h(
          'section',
          { class: 'feedback', 'aria-label': `reviewer feedback on ${name}` },
          h('h3', null, 'Feedback from reviewers'),
          h(
            'ul',
            null,
            fb.slice(0, 5).map((f) =>
              h('li', null, h('span', { class: `badge verdict-${f.verdict}` }, f.verdict), ` item ${f.item}`, f.reasons && f.reasons.length ? ` — ${f.reasons.join(', ')}` : '', f.comment ? h('q', null, f.comment) : null),
            ),
          ),
        )
      : null,
  );
}

async function viewHome() {
  replace(main, h('p', { class: 'loading' }, 'Loading your projects…'));
  let list;
  try {
    list = await api('GET', '/api/v1/projects?limit=100');
  } catch (e) {
    replace(main, h('p', { class: 'error', role: 'alert' }, `Projects cannot be loaded: ${e.message}`));
    return;
  }
  const projects = list.projects || [];
  const mes = await Promise.all(projects.map((p) => api('GET', `/api/v1/projects/${enc(p.name)}/me`).catch(() => null)));
  const title = h('h1', { tabindex: '-1' }, 'My projects');
  replace(
    main,
    h(
      'section',
      { class: 'home', 'data-view': 'home' },
      title,
      projects.length ? h('div', { class: 'cards' }, projects.map((p, i) => projectCard(p, mes[i]))) : h('p', null, 'You are not a member of any project yet. Ask your project manager.'),
    ),
  );
  title.focus();
  // Warm the first project's settings so that its labeling view opens at once.
  if (projects[0]) projectInfo(projects[0].name).catch(() => {});
  announce(`${projects.length} project${projects.length === 1 ? '' : 's'}.`);
}

route();
