// api.js - the JSON API of labelops from the browser: the session cookie (HttpOnly, set by the
// server), the CSRF token every write sends back, and the one error body.

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || 'error';
    this.field = field || null;
  }
}

export const session = { user: null, role: null, csrf: null };

// Server time minus the browser's clock, from the Date header (lease countdowns use it).
export let clockSkewMs = 0;

export async function api(method, path, body, opts) {
  const headers = { Accept: 'application/json' };
  const o = opts || {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  if (o.idempotencyKey) headers['Idempotency-Key'] = o.idempotencyKey;
  const t0 = Date.now();
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'the server cannot be reached');
  }
  const date = res.headers.get('Date');
  if (date) {
    const server = Date.parse(date);
    if (!Number.isNaN(server)) clockSkewMs = server + 500 - (t0 + Date.now()) / 2;
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = null;
    }
  }
  if (!res.ok) {
    const err = data && data.error ? data.error : {};
    if (res.status === 401 && o.onUnauth !== false) window.dispatchEvent(new CustomEvent('lo-unauth'));
    throw new ApiError(res.status, err.code, err.message, err.field);
  }
  return data;
}

export async function loadSession() {
  try {
    const s = await api('GET', '/api/v1/session', undefined, { onUnauth: false });
    session.user = s.user;
    session.role = s.role;
    session.csrf = s.csrf_token || null;
    return true;
  } catch (e) {
    if (e.status === 401) {
      session.user = null;
      return false;
    }
    throw e;
  }
}

export async function signIn(name, password) {
  const s = await api('POST', '/api/v1/session', { name, password }, { onUnauth: false });
  session.user = s.user;
  session.csrf = s.csrf_token;
  await loadSession();
}

export async function signOut() {
  try {
    await api('DELETE', '/api/v1/session');
  } finally {
    session.user = null;
    session.role = null;
    session.csrf = null;
  }
}

export function enc(s) {
  return encodeURIComponent(s);
}

export function mediaUrl(project, itemId, field) {
  const q = field && field !== 'image' ? `?field=${enc(field)}` : '';
  return `/api/v1/projects/${enc(project)}/items/${enc(itemId)}/media${q}`;
}

// A fresh Idempotency-Key for one submit (kept across retries of that submit).
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
