// The browser suite: Debian's Chromium, driven by playwright-core, against
// a real `candor serve --demo` (started by e2e/browser_test.go, which passes
// what it needs in the environment). Run with `node --test`.
//
// Every wait is on a condition, with deadlines far above what a loaded
// machine needs: they bound a hang, they do not time anything. Durations
// (first screen, live arrival) are measured and printed, never asserted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run this suite through go test ./e2e -run TestBrowser`);
  return v;
};
const BASE = env('CANDOR_URL');
const STATIC = process.env.CANDOR_STATIC_URL ?? '';
const ENG = env('CANDOR_ENGAGEMENT');
const TOKENS = {
  client: env('CANDOR_TOKEN_CLIENT'),
  supplier: env('CANDOR_TOKEN_SUPPLIER'),
  auditor: env('CANDOR_TOKEN_AUDITOR'),
  stranger: env('CANDOR_TOKEN_STRANGER'),
};
const SHOTS = process.env.CANDOR_SCREENSHOTS ?? '';
const CHROMIUM = process.env.CANDOR_CHROMIUM ?? '/usr/bin/chromium';
const here = path.dirname(fileURLToPath(import.meta.url));
const axeSource = fs.readFileSync(path.join(here, '..', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

const WAIT = 30_000; // bounds a hang only
const TEST = { timeout: 240_000 };

let browser;
const problems = []; // console errors, page errors, CSP refusals
const a11y = []; // serious or critical axe violations

// launch() starts Chromium on a fresh temporary profile of its own (it
// refuses a --user-data-dir) and removes it on close.
before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 120_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
});

after(async () => {
  await browser?.close();
});

async function context(opts = {}) {
  const ctx = await browser.newContext({
    viewport: { width: 1360, height: 900 },
    locale: 'en-GB',
    timezoneId: 'Europe/Paris',
    ...opts,
  });
  ctx.setDefaultTimeout(WAIT);
  ctx.on('page', watch);
  return ctx;
}

function watch(page) {
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium logs every non-2xx answer; the tests provoke some on purpose.
    if (m.text().startsWith('Failed to load resource')) return;
    problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
}

async function signIn(page, who, { base = BASE, server = '' } = {}) {
  await page.goto(`${base}/`);
  await page.locator('#token').fill(TOKENS[who]);
  if (server) {
    await page.locator('details.advanced summary').click();
    await page.locator('#server').fill(server);
  }
  await page.locator('form.signin-form button[type=submit]').click();
  await page.locator('[data-testid=me-name]').waitFor();
}

const engURL = (tab = '', base = BASE) => `${base}/#/e/${ENG}${tab ? `/${tab}` : ''}`;

async function open(page, tab) {
  await page.goto(engURL(tab));
  await page.locator('.eng-head h1').waitFor();
}

async function live(page) {
  await page.locator('[data-testid=live][data-status=open]').waitFor();
}

/** Runs axe-core on the page; records serious and critical violations. */
async function axe(page, screen) {
  // Evaluated over the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(`${axeSource}\n;0`);
  const res = await page.evaluate(async () => {
    const r = await globalThis.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  for (const v of res) {
    if (v.impact === 'serious' || v.impact === 'critical') a11y.push({ screen, ...v });
  }
}

/** Saves a screenshot for the README when CANDOR_SCREENSHOTS names a folder. */
async function shot(page, name, { fullPage = true } = {}) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  // Let charts and fonts settle: wait for two animation frames.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

async function api(who, p) {
  const res = await fetch(`${BASE}${p}`, { headers: { Authorization: `Bearer ${TOKENS[who]}` } });
  assert.equal(res.status, 200, `GET ${p}: ${res.status}`);
  return res.json();
}

/** The engagement's events of one type (all pages). */
async function events(type) {
  const out = [];
  let cursor = '';
  for (;;) {
    const q = new URLSearchParams({ limit: '200', type });
    if (cursor) q.set('cursor', cursor);
    const page = await api('auditor', `/v1/engagements/${ENG}/events?${q}`);
    out.push(...page.items);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

async function waitUntil(what, f, timeout = WAIT) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function form(page, id) {
  return page.locator(`form[data-form=${id}]`);
}

async function choose(page, action) {
  await page.locator(`.act-nav a[data-action=${action}]`).click();
  await form(page, action).waitFor();
}

const statValue = (page, id) => page.locator(`[data-testid=${id}] .stat-value`);

// 1. Every screen, on the untouched demo: sign in, who am I, the first
// screen's time, axe on every screen, the screenshots.
test('sign in, every screen, axe, first screen time', TEST, async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await page.goto(`${BASE}/`);
  await page.locator('#token').waitFor();
  await axe(page, 'sign-in');
  await shot(page, 'sign-in');

  // A wrong token is refused in words, next to the field.
  await page.locator('#token').fill('cnd_not-a-token');
  await page.locator('form.signin-form button[type=submit]').click();
  await page.locator('#token-error').waitFor();

  await signIn(page, 'client');
  assert.equal(await page.locator('[data-testid=me-name]').textContent(), 'Claire Martin (Maison Dupont)');
  await page.locator('[data-testid=engagement-list]').waitFor();
  const item = page.locator('.eng-item', { hasText: 'Maison Dupont online shop' });
  await item.locator('.pill-phase', { hasText: 'Acceptance' }).waitFor();
  await item.locator('.pill-health', { hasText: 'At risk' }).waitFor();
  await axe(page, 'engagements');
  await shot(page, 'engagements');

  // The token is in this tab's sessionStorage, nowhere else.
  const stored = await page.evaluate(() => ({
    session: JSON.stringify(sessionStorage),
    local: JSON.stringify(localStorage),
    url: location.href,
  }));
  assert.ok(stored.session.includes(TOKENS.client), 'token in sessionStorage');
  assert.ok(!stored.local.includes(TOKENS.client), 'no token in localStorage');

  // Time to the first meaningful screen: a fresh load of the overview,
  // until the transparency panel is drawn.
  await page.goto(engURL());
  await page.reload();
  await page.locator('[data-testid=transparency]').waitFor();
  const ready = await page.evaluate(() => performance.getEntriesByName('candor:overview-ready')[0]?.startTime ?? -1);
  assert.ok(ready > 0, 'the overview marks when it is ready');
  console.log(`# first meaningful screen (overview, loopback, fresh load): ${Math.round(ready)} ms`);
  assert.ok(!page.url().includes(TOKENS.client), 'no token in the URL');

  await page.locator('[data-testid=you]', { hasText: 'Claire Martin' }).waitFor();
  await page.locator('.stepper .step-current', { hasText: 'Acceptance' }).waitFor();
  await page.locator('.people li', { hasText: 'Nicolas Roux' }).locator('.flag', { hasText: 'Never briefed' }).waitFor();
  await page.locator('[data-testid=lead-times] td.neg').waitFor();
  await live(page);
  await axe(page, 'overview');
  await shot(page, 'overview');

  const screens = [
    ['timeline', '[data-testid=timeline] li.fact[data-type="lesson.recorded"]'],
    ['requirements', '[data-testid=assumptions]'],
    ['delays', '#dl-delays canvas'],
    ['decisions', '[data-testid=decisions] .flag-risk'],
    ['communications', '[data-testid=communications]'],
    ['indicators', '.card canvas'],
    ['knowledge', '[data-testid=knowledge]'],
    ['integrity', '[data-testid=raw-log] tbody tr'],
    ['act', 'form[data-form]'],
  ];
  for (const [tab, ready] of screens) {
    await open(page, tab);
    await page.locator(ready).first().waitFor();
    if (tab === 'integrity') await page.locator('[data-testid=verification]', { hasText: 'events checked' }).waitFor();
    await axe(page, tab);
    await shot(page, tab, { fullPage: !['timeline', 'integrity'].includes(tab) });
  }
  await ctx.close();

  // The overview in French, still on the untouched demo.
  const fctx = await context({ locale: 'fr-FR' });
  const fp = await fctx.newPage();
  await signIn(fp, 'client');
  await open(fp, '');
  await fp.locator('[data-testid=transparency]').waitFor();
  await live(fp);
  await shot(fp, 'overview-fr');
  await fctx.close();

  // The supplier's forms.
  const sctx = await context();
  const sp = await sctx.newPage();
  await signIn(sp, 'supplier');
  await open(sp, 'act/discloseDelay');
  await form(sp, 'discloseDelay').waitFor();
  await axe(sp, 'act (supplier)');
  await shot(sp, 'act-disclose-delay');
  await sctx.close();
});

// 2. Supplier and client, live.
test('supplier and client: a delay arrives live, is acknowledged, an assumption validated', TEST, async () => {
  const sctx = await context();
  const cctx = await context();
  const sp = await sctx.newPage();
  const cp = await cctx.newPage();
  await signIn(sp, 'supplier');
  await signIn(cp, 'client');

  await open(cp, '');
  await live(cp);
  assert.equal(await statValue(cp, 'stat-delays').textContent(), '1 / 1');
  assert.equal(await statValue(cp, 'stat-assumptions').textContent(), '1');

  await open(cp, 'timeline');
  await cp.locator('[data-testid=timeline] li.fact[data-type="lesson.recorded"]').waitFor();
  await live(cp);

  // The supplier discloses a delay.
  await open(sp, 'act/discloseDelay');
  const f = form(sp, 'discloseDelay');
  await f.locator('select[name=target]').selectOption({ label: 'Go-live' });
  await f.locator('textarea[name=reason]').fill('The payment provider needs one more week to certify the checkout.');
  await f.locator('[data-submit]').click();
  await sp.locator('[data-testid=write-done]', { hasText: 'Delay disclosed' }).waitFor();
  const t0 = Date.now();

  // The client sees it arrive, without reloading.
  const arrived = cp.locator('[data-testid=timeline] li.fact.fresh[data-type="delay.disclosed"]', { hasText: 'one more week' });
  await arrived.waitFor();
  console.log(`# live arrival (supplier's answer to the client's screen): ${Date.now() - t0} ms`);
  await cp.locator('[data-testid=arrival]', { hasText: 'Delay disclosed' }).waitFor();
  if (SHOTS) {
    // The arrival banner and the new fact on one screen: the milestones and delays only.
    await cp.locator('#tl-kind').selectOption('commitments');
    await arrived.waitFor();
    await cp.locator('[data-testid=timeline] li.fact[data-type="milestone.planned"]').waitFor();
    await shot(cp, 'timeline-live');
  }

  // The supplier informs the client; the client acknowledges.
  await open(sp, 'act/informClient');
  const inf = form(sp, 'informClient');
  await inf.locator('input[name=subject]').fill('Go-live moves by one more week');
  await inf.locator('label.check', { hasText: 'Claire Martin' }).locator('input').check();
  await inf.locator('[data-submit]').click();
  await sp.locator('[data-testid=write-done]', { hasText: 'Client informed' }).waitFor();
  await open(sp, 'communications');
  const row = sp.locator('[data-testid=communications] .item', { hasText: 'one more week' }).locator('tr[data-recipient="Claire Martin"]');
  await row.locator('.flag', { hasText: 'Not yet' }).waitFor();
  await live(sp);

  await cp.locator('[data-testid=arrival]', { hasText: 'Client informed' }).waitFor();
  await open(cp, 'act/acknowledgeInformation');
  const ack = form(cp, 'acknowledgeInformation');
  await ack.locator('select[name=target]').selectOption({ label: 'Go-live moves by one more week (Sam Moreau)' });
  await ack.locator('[data-submit]').click();
  await cp.locator('[data-testid=write-done]', { hasText: 'Information acknowledged' }).waitFor();

  // ...and the supplier sees the acknowledgement arrive.
  await row.locator('.flag', { hasText: 'Acknowledged' }).waitFor();
  await sp.locator('[data-testid=arrival]', { hasText: 'Information acknowledged' }).waitFor();

  // The client validates the open assumption; the panel changes.
  await open(cp, '');
  await statValue(cp, 'stat-delays').filter({ hasText: '2 / 2' }).waitFor();
  await cp.locator('[data-testid=open-assumptions] a', { hasText: 'Answer' }).click();
  const val = form(cp, 'validateAssumption');
  await val.waitFor();
  assert.match(await val.locator('select[name=target] option:checked').textContent(), /Promotion codes/);
  await val.locator('textarea[name=comment]').fill('Confirmed: promotion codes come with the second release.');
  await val.locator('[data-submit]').click();
  await cp.locator('[data-testid=write-done]', { hasText: 'Assumption validated' }).waitFor();
  await open(cp, '');
  await statValue(cp, 'stat-assumptions').filter({ hasText: /^0$/ }).waitFor();
  await sctx.close();
  await cctx.close();
});

// 3. The auditor reads everything and is offered nothing.
test('the auditor sees every screen and no action', TEST, async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, 'auditor');
  await open(page, '');
  await page.locator('[data-testid=you]', { hasText: 'auditor' }).waitFor();
  await page.locator('[data-testid=transparency]').waitFor();
  assert.equal(await page.locator('.tabs a', { hasText: 'Record a fact' }).count(), 0);
  for (const tab of ['', 'timeline', 'requirements', 'delays', 'decisions', 'communications', 'indicators', 'knowledge', 'integrity', 'act']) {
    await open(page, tab);
    await page.locator('.tab-body > *').first().waitFor();
    await page.locator('.loading').first().waitFor({ state: 'detached' });
    assert.equal(await page.locator('form[data-form], [data-action], a[href*="/act"]').count(), 0, `no action on ${tab || 'overview'}`);
  }
  await axe(page, 'auditor');
  await ctx.close();
});

// 4. A stakeholder of another engagement.
test('a stakeholder of another engagement gets a clear not found', TEST, async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, 'stranger');
  await page.locator('[data-testid=engagement-list]').waitFor();
  assert.equal(await page.locator('.eng-item', { hasText: 'Maison Dupont' }).count(), 0);
  await page.goto(engURL());
  await page.locator('.notice', { hasText: 'Engagement not found' }).waitFor();
  await axe(page, 'not found');
  await ctx.close();
});

// 5. Who knew what, at two moments.
test('who knew what: two moments, two answers', TEST, async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, 'client');
  await open(page, 'knowledge');
  const e = await api('client', `/v1/engagements/${ENG}`);
  const me = (await api('client', `/v1/engagements/${ENG}/stakeholders?limit=200`)).items.find((s) => s.name === 'Claire Martin');
  await page.locator('#kn-who').selectOption(me.id);

  // Sixty days in: the go-live delay was not known yet.
  const early = new Date(Date.parse(e.opened_at) + 60 * 86400_000);
  const local = early.toLocaleString('sv-SE', { timeZone: 'Europe/Paris' }).replace(' ', 'T').slice(0, 16);
  await page.locator('#kn-when').fill(local);
  const knowledge = page.locator('[data-testid=knowledge]');
  const informed = knowledge.locator('.item', { hasText: 'Go-live moves by three weeks' });
  await informed.first().waitFor({ state: 'detached' });
  await knowledge.locator('.item', { hasText: 'What would success look like' }).waitFor();
  const before = await knowledge.innerText();
  await page.locator('[data-testid=stood] .step-current', { hasText: 'Delivery' }).waitFor();

  // Today: she was informed of it, and acknowledged it.
  await page.locator('#kn-slider').focus();
  await page.keyboard.press('End');
  await informed.first().waitFor();
  const after = await knowledge.innerText();
  assert.notEqual(after, before);
  await page.locator('[data-testid=stood] .step-current', { hasText: 'Acceptance' }).waitFor();
  await ctx.close();
});

// 6. Two tabs edit the same engagement: a 412, told, never overwritten.
test('two tabs: the second write is refused with what changed, then made on purpose', TEST, async () => {
  const ctx = await context();
  const one = await ctx.newPage();
  const two = await ctx.newPage();
  await signIn(one, 'supplier');
  await signIn(two, 'supplier');
  await open(one, 'act/makeAssumption');
  await live(one);
  const statement = `E2E two tabs ${Date.now()}`;
  await form(one, 'makeAssumption').locator('textarea[name=statement]').fill(statement);

  await open(two, 'act/reportDifficulty');
  await form(two, 'reportDifficulty').locator('textarea[name=description]').fill('E2E: the staging server is down.');
  await form(two, 'reportDifficulty').locator('[data-submit]').click();
  await two.locator('[data-testid=write-done]', { hasText: 'Difficulty reported' }).waitFor();

  // The first tab sees it arrive, but its form was opened before it.
  await one.locator('[data-testid=arrival]', { hasText: 'Difficulty reported' }).waitFor();
  await form(one, 'makeAssumption').locator('[data-submit]').click();
  const conflict = one.locator('[data-testid=conflict]');
  await conflict.waitFor();
  await conflict.locator('li', { hasText: 'staging server is down' }).waitFor();
  assert.equal((await events('assumption.made')).filter((x) => x.data.statement === statement).length, 0);
  assert.equal(await form(one, 'makeAssumption').locator('textarea[name=statement]').inputValue(), statement, 'the entry is kept');
  await axe(one, 'act: conflict');
  await conflict.locator('button', { hasText: 'I have checked' }).click();
  await one.locator('[data-testid=write-done]', { hasText: 'Assumption made' }).waitFor();
  assert.equal((await events('assumption.made')).filter((x) => x.data.statement === statement).length, 1);
  await ctx.close();
});

// 7. The server's refusal, next to the field it names.
test('a problem from the server is shown next to its field', TEST, async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, 'supplier');
  await open(page, 'act/discloseDelay');
  const f = form(page, 'discloseDelay');
  await f.locator('select[name=target]').selectOption({ label: 'Go-live' });
  const before = (await events('delay.disclosed')).length;
  const e = await api('supplier', `/v1/engagements/${ENG}`);
  const early = new Date(Date.parse(e.opened_at)).toLocaleString('sv-SE', { timeZone: 'Europe/Paris' }).replace(' ', 'T').slice(0, 16);
  await f.locator('input[name=new_due_date]').fill(early);
  await f.locator('textarea[name=reason]').fill('The certification takes longer than planned.');
  await f.locator('[data-submit]').click();
  const err = f.locator('[data-error-for=new_due_date]');
  await err.waitFor();
  assert.match(await err.textContent(), /later than the current due date/);
  assert.equal(await f.locator('input[name=new_due_date]').getAttribute('aria-invalid'), 'true');
  const described = await f.locator('input[name=new_due_date]').getAttribute('aria-describedby');
  assert.ok(described.includes(await err.getAttribute('id')), 'the error describes its field');
  await axe(page, 'act: field error');
  await shot(page, 'act-field-error');
  assert.equal((await events('delay.disclosed')).length, before, 'nothing recorded');
  await ctx.close();
});

// 8. Double submission: a double click, and a retry after a lost answer.
test('a double click, or a retry after a lost answer, records one fact', TEST, async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, 'supplier');
  await open(page, 'act/makeAssumption');
  const posts = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/assumptions')) posts.push(r.headers()['idempotency-key']);
  });

  const first = `E2E double click ${Date.now()}`;
  await form(page, 'makeAssumption').locator('textarea[name=statement]').fill(first);
  await form(page, 'makeAssumption').locator('[data-submit]').dblclick();
  await page.locator('[data-testid=write-done]', { hasText: 'Assumption made' }).waitFor();
  assert.ok(posts.length >= 1 && posts.every((k) => k && k === posts[0]), 'one Idempotency-Key per submission');
  await waitUntil('the write to be readable', async () => (await events('assumption.made')).some((x) => x.data.statement === first));
  assert.equal((await events('assumption.made')).filter((x) => x.data.statement === first).length, 1);

  // The server records the write, but its answer never reaches the browser.
  posts.length = 0;
  let lost = true;
  await page.route('**/v1/engagements/*/assumptions', async (route) => {
    if (!lost) return route.continue();
    lost = false;
    const res = await route.fetch();
    assert.equal(res.status(), 201);
    await route.abort('connectionreset');
  });
  const second = `E2E lost answer ${Date.now()}`;
  await form(page, 'makeAssumption').locator('textarea[name=statement]').fill(second);
  await form(page, 'makeAssumption').locator('[data-submit]').click();
  await page.locator('.notice', { hasText: 'No answer from the server' }).waitFor();
  await waitUntil('the first try to be recorded', async () => (await events('assumption.made')).some((x) => x.data.statement === second));
  await form(page, 'makeAssumption').locator('[data-submit]').click();
  await page.locator('[data-testid=write-done]').waitFor();
  await page.locator('.notice', { hasText: 'Already recorded' }).waitFor();
  assert.equal(posts.length, 2);
  assert.equal(posts[0], posts[1], 'the retry reuses the key');
  assert.equal((await events('assumption.made')).filter((x) => x.data.statement === second).length, 1);
  await ctx.close();
});

// 9. In French.
test('the French interface', TEST, async () => {
  const ctx = await context({ locale: 'fr-FR' });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/`);
  await page.locator('h2', { hasText: 'Connexion' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
  await signIn(page, 'client');
  await page.locator('h1', { hasText: 'Missions' }).waitFor();
  await open(page, '');
  await page.locator('.tabs a', { hasText: 'Chronologie' }).waitFor();
  await page.locator('.card-head h3', { hasText: 'Transparence' }).waitFor();
  await page.locator('.stepper .step-current', { hasText: 'Recette' }).waitFor();
  // Dates and numbers in French.
  const opened = await page.locator('.stepper .step').first().locator('.step-date').textContent();
  assert.match(opened, /^\d{1,2} [a-zéû]+\.? \d{4}$/, `a French date: ${opened}`);
  await page.locator('[data-testid=stat-delays] .stat-note', { hasText: /jours/ }).waitFor();
  await axe(page, 'overview (fr)');
  await open(page, 'timeline');
  await page.locator('[data-testid=timeline] .fact-label', { hasText: 'Retard annoncé' }).first().waitFor();
  await axe(page, 'timeline (fr)');
  await page.locator('.lang button', { hasText: 'English' }).click();
  await page.locator('.tabs a', { hasText: 'Timeline' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  await ctx.close();
});

// 10. Served from another origin, calling the API through CORS.
test('the app served from another origin works through CORS', { ...TEST, skip: STATIC ? false : 'no CANDOR_STATIC_URL' }, async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, 'client', { base: STATIC, server: BASE });
  await page.goto(engURL('', STATIC));
  await page.locator('[data-testid=transparency]').waitFor();
  await live(page);
  assert.notEqual(new URL(page.url()).origin, new URL(BASE).origin);
  await ctx.close();
});

test('no console error, page error or CSP refusal; no serious or critical axe violation', () => {
  assert.deepEqual(problems, []);
  assert.deepEqual(a11y, [], JSON.stringify(a11y, null, 2));
});
