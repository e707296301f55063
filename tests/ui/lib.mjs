// lib.mjs - what the UI tests and the UI benchmark share: the real labelops binary (its CLI to
// set up a database, its server on a free loopback port), the HTTP API with bearer tokens, and
// Debian's chromium driven by playwright-core. Nothing here downloads a browser: chromium is
// /usr/bin/chromium (or $CHROMIUM), launched headless with the flags of DESIGN.md.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function binary() {
  return resolve(process.argv[2] || process.env.LABELOPS_BIN || join(ROOT, 'build', 'labelops'));
}

export class Fixture {
  constructor(lo, prefix) {
    this.lo = lo;
    this.dir = mkdtempSync(join(tmpdir(), prefix || 'lo-ui-'));
    this.db = join(this.dir, 'ui.db');
    this.media = join(this.dir, 'media');
    mkdirSync(this.media, { recursive: true });
    this.tokens = {};
    this.cli('init');
  }

  cli(...args) {
    let input;
    if (args.length && typeof args[args.length - 1] === 'object') input = args.pop().input;
    return execFileSync(this.lo, ['--db', this.db, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  }

  user(name, role, password) {
    this.cli('user', 'add', '--role', role, name, { input: `${password}\n` });
    const out = JSON.parse(this.cli('--json', 'token', 'create', '--user', name, '--name', 'ui-test'));
    this.tokens[name] = out.token;
  }

  images(n) {
    execFileSync('python3', [join(ROOT, 'scripts', 'gen_demo_images.py'), this.media, String(n || 4)]);
    return join(this.media, 'items.jsonl');
  }

  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class Server {
  static async start(fx, ...extra) {
    const s = new Server();
    s.proc = spawn(fx.lo, ['--db', fx.db, 'serve', '--host', '127.0.0.1', '--port', '0', '--rate', '0', '--quiet', '--media-root', fx.media, ...extra], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    s.log = '';
    s.port = await new Promise((res, rej) => {
      s.proc.stderr.on('data', (d) => {
        s.log += d.toString();
        const m = /"listening".*?"port":(\d+)/.exec(s.log);
        if (m) res(Number(m[1]));
      });
      s.proc.on('exit', (code) => rej(new Error(`server exited (${code}): ${s.log}`)));
    });
    s.base = `http://127.0.0.1:${s.port}`;
    s.tokens = fx.tokens;
    return s;
  }

  // The API as user `as` (a bearer token: no cookie, no CSRF token needed).
  async api(as, method, path, body, headers) {
    const h = { Authorization: `Bearer ${this.tokens[as]}`, ...(headers || {}) };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    const r = await fetch(this.base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = text;
    }
    return { status: r.status, data };
  }

  async stop() {
    if (this.proc.exitCode !== null) return;
    const done = new Promise((res) => this.proc.on('exit', res));
    this.proc.kill('SIGTERM');
    await done;
  }
}

export async function browser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

// Signs in through the sign-in form, as a person would.
export async function signIn(page, base, name, password) {
  await page.goto(`${base}/signin`);
  await page.fill('#si-name', name);
  await page.fill('#si-pw', password);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('[data-view=home]');
}

export class Report {
  constructor() {
    this.passed = 0;
    this.failed = 0;
  }

  check(name, cond, why) {
    if (cond) {
      this.passed++;
      console.log(`ok   ${name}`);
    } else {
      this.failed++;
      console.log(`FAIL ${name}: ${why === undefined ? '' : why}`);
    }
    return !!cond;
  }

  end() {
    console.log(`${this.passed} passed, ${this.failed} failed`);
    return this.failed === 0 ? 0 : 1;
  }
}
