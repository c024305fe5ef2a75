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
    ['raid', '[data-testid=raid-issues]'],
    ['knowledge', '[data-testid=knowledge]'],
    ['integrity', '[data-testid=raw-log] tbody tr'],
    ['act', 'form[data-form]'],
  ];
  for (const [tab, ready] of screens) {
    await open(page, tab);
    await page.locator(ready).first().waitFor();
    if (tab === 'integrity') {
      await page.locator('[data-testid=verification]', { hasText: 'events checked' }).waitFor();
      await page.locator('[data-testid=public-key]').waitFor();
    }
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
  // The story fills the first page of the timeline: watch the commitments,
  // where the new delay arrives.
  await cp.locator('#tl-kind').selectOption('commitments');
  await cp.locator('[data-testid=timeline] li.fact[data-type="milestone.planned"]').waitFor();
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
  // The demo's slip already passed its time tolerance: this delay passes it
  // again, and the exception it raises is the supplier's last fact to arrive.
  await cp.locator('[data-testid=arrival]', { hasText: 'Sam Moreau' }).waitFor();
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
  for (const tab of ['', 'timeline', 'requirements', 'delays', 'decisions', 'communications', 'indicators', 'raid', 'knowledge', 'integrity', 'act']) {
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

/** A datetime-local value for a moment, in the contexts' time zone. */
const localInput = (d) => d.toLocaleString('sv-SE', { timeZone: 'Europe/Paris' }).replace(' ', 'T').slice(0, 16);

// 11. Evidence: the client's approval is witnessed, its receipt kept and
// downloaded, the bundle exported; a rewritten history is said as such.
test('integrity: witnessed approvals, receipts and the bundle, a rewritten history', TEST, async () => {
  const sctx = await context();
  const sp = await sctx.newPage();
  await signIn(sp, 'supplier');
  const statement = `E2E witnessed ${Date.now()}`;
  await open(sp, 'act/makeAssumption');
  await form(sp, 'makeAssumption').locator('textarea[name=statement]').fill(statement);
  await form(sp, 'makeAssumption').locator('[data-submit]').click();
  await sp.locator('[data-testid=write-done]', { hasText: 'Assumption made' }).waitFor();
  await sctx.close();

  const ctx = await context({ acceptDownloads: true });
  const page = await ctx.newPage();
  await signIn(page, 'client');
  await open(page, 'integrity');
  await page.locator('[data-testid=witness]', { hasText: 'Your approvals carry' }).waitFor();
  await page.locator('[data-testid=receipts]').waitFor({ state: 'detached' });

  // The validation carries the last checkpoint the page saw; the server,
  // which refuses one it did not sign (422), records it.
  const sent = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/validation')) sent.push(r.headers()['x-candor-checkpoint']);
  });
  await open(page, 'act/validateAssumption');
  const val = form(page, 'validateAssumption');
  await val.locator('select[name=target]').selectOption({ label: statement });
  await val.locator('[data-submit]').click();
  await page.locator('[data-testid=write-done]', { hasText: 'Assumption validated' }).waitFor();
  assert.equal(sent.length, 1);
  const note = Buffer.from(sent[0] ?? '', 'base64').toString('utf8');
  assert.match(note, /^candor-[^\n]+\n\d+\n[A-Za-z0-9+/=]+\ntime /, `a signed checkpoint: ${note}`);
  assert.match(note, /\n\n— /, 'with its signature');

  // The receipt is kept, and downloaded as the file the verifier reads.
  await open(page, 'integrity');
  const receipts = page.locator('[data-testid=receipts] li');
  await receipts.first().waitFor();
  assert.equal(await receipts.count(), 1);
  await receipts.first().locator('p strong', { hasText: 'Validate' }).waitFor();
  await page.locator('[data-testid=checkpoint-size]').waitFor();
  await axe(page, 'integrity (receipts)');
  await shot(page, 'integrity-evidence');
  const [dl] = await Promise.all([page.waitForEvent('download'), receipts.first().locator('button[data-download]').click()]);
  assert.match(dl.suggestedFilename(), /^candor-receipt-[0-9a-f-]+-r\d+\.json$/);
  const receipt = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
  assert.equal(receipt.events[0].type, 'assumption.validated');
  assert.ok(receipt.receipt.checkpoint.includes('\n— '), 'a signed checkpoint');
  assert.ok(receipt.receipt.leaves.length >= 1 && receipt.receipt.leaves[0].hash === receipt.events[0].hash, 'the leaf of the event');

  // The evidence bundle.
  const [bdl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=export]').click()]);
  assert.equal(bdl.suggestedFilename(), `candor-bundle-${ENG}.json`);
  const bundle = JSON.parse(fs.readFileSync(await bdl.path(), 'utf8'));
  assert.equal(bundle.format, 'candor-bundle/v1');
  assert.ok(bundle.events.some((e) => e.hash === receipt.events[0].hash), 'the bundle holds the receipted event');

  // A server whose log no longer holds what it showed: 409
  // checkpoint_inconsistent, said as the warning it is, nothing recorded.
  await page.route('**/v1/engagements/*/communications/*/acknowledgements', (route) =>
    route.fulfill({
      status: 409,
      contentType: 'application/problem+json',
      body: JSON.stringify({
        type: 'urn:candor:problem:checkpoint_inconsistent',
        title: 'Conflict',
        status: 409,
        code: 'checkpoint_inconsistent',
        detail: 'the log is not consistent with the checkpoint of size 12',
      }),
    }),
  );
  const sup = await context();
  const s2 = await sup.newPage();
  await signIn(s2, 'supplier');
  await open(s2, 'act/informClient');
  const inf = form(s2, 'informClient');
  await inf.locator('input[name=subject]').fill(`E2E rewritten ${Date.now()}`);
  await inf.locator('label.check', { hasText: 'Claire Martin' }).locator('input').check();
  await inf.locator('[data-submit]').click();
  await s2.locator('[data-testid=write-done]', { hasText: 'Client informed' }).waitFor();
  await sup.close();
  await open(page, 'act/acknowledgeInformation');
  const ack = form(page, 'acknowledgeInformation');
  await ack.locator('select[name=target] option', { hasText: 'E2E rewritten' }).first().waitFor({ state: 'attached' });
  const opt = await ack.locator('select[name=target] option', { hasText: 'E2E rewritten' }).first().getAttribute('value');
  await ack.locator('select[name=target]').selectOption(opt);
  await ack.locator('[data-submit]').click();
  const warn = page.locator('[data-testid=rewritten]');
  await warn.waitFor();
  assert.match(await page.locator('.notice-risk .notice-title').first().textContent(), /history was rewritten/);
  await axe(page, 'act: rewritten history');
  await shot(page, 'act-rewritten-history', { fullPage: false });
  await ctx.close();
});

// 12. Claimed times: a fact recorded after it happened says so.
test('a fact told late: said to have happened on …, recorded on …', TEST, async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, 'supplier');
  await open(page, 'act/reportDifficulty');
  const f = form(page, 'reportDifficulty');
  const text = `E2E told late ${Date.now()}`;
  await f.locator('textarea[name=description]').fill(text);
  await f.locator('input[name=occurred_at]').fill(localInput(new Date(Date.now() - 3 * 86400_000)));
  await axe(page, 'act: claimed time');
  await f.locator('[data-submit]').click();
  await page.locator('[data-testid=write-done]', { hasText: 'Difficulty reported' }).waitFor();
  const ev = (await events('difficulty.reported')).find((x) => x.data.description === text);
  assert.ok(ev?.data.occurred_at, 'the claimed time is recorded');

  await open(page, 'timeline');
  await page.locator('#tl-kind').selectOption('commitments'); // one page, the new fact at its end
  const fact = page.locator('[data-testid=timeline] li.fact', { hasText: text });
  await fact.locator('[data-testid=claimed]', { hasText: /said to have happened on .*, recorded on / }).waitFor();
  await open(page, 'raid');
  await page.locator('[data-testid=raid-issues] tr', { hasText: text }).locator('[data-testid=claimed]').waitFor();
  await open(page, '');
  await page.locator('[data-testid=late-recording] li', { hasText: 'Difficulty reported' }).waitFor();
  await ctx.close();
});

// 13. Who knew what: as it happened, or as it was recorded.
test('who knew what: as it happened, or as it was recorded', TEST, async () => {
  const ctx = await context();
  const page = await ctx.newPage();
  await signIn(page, 'client');
  await open(page, 'knowledge');
  const e = await api('client', `/v1/engagements/${ENG}`);
  await page.locator('#kn-when').fill(localInput(new Date(Date.parse(e.opened_at) + 60 * 86400_000)));
  // The demo's facts happened over months but were all recorded at start.
  await page.locator('[data-testid=stood] .step-current', { hasText: 'Delivery' }).waitFor();
  await page.locator('label.check', { hasText: 'as it was recorded' }).locator('input').check();
  await page.locator('#kn-stood .empty', { hasText: 'Nothing of this engagement had been recorded by then' }).waitFor();
  await axe(page, 'knowledge (as recorded)');
  await page.locator('label.check', { hasText: 'as it happened' }).locator('input').check();
  await page.locator('[data-testid=stood] .step-current', { hasText: 'Delivery' }).waitFor();
  await ctx.close();
});

// 14. RAID: the supplier raises a risk and a client dependency, which is
// late; the client meets it from the register.
test('RAID: a risk and a late client dependency, met by the client', TEST, async () => {
  const sctx = await context();
  const sp = await sctx.newPage();
  await signIn(sp, 'supplier');
  await open(sp, 'raid');
  await sp.locator('#raid-risks a[data-action=raiseRisk]').click();
  const rf = form(sp, 'raiseRisk');
  await rf.waitFor();
  const risk = `E2E risk ${Date.now()}`;
  await rf.locator('input[name=title]').fill(risk);
  await rf.locator('select[name=probability]').selectOption('4');
  await rf.locator('select[name=impact]').selectOption('5');
  await rf.locator('textarea[name=response]').fill('A second payment provider is ready.');
  await rf.locator('select[name=owner_id]').selectOption({ label: 'Sam Moreau' });
  await axe(sp, 'act: raise a risk');
  await rf.locator('[data-submit]').click();
  await sp.locator('[data-testid=write-done]', { hasText: 'Risk raised' }).waitFor();

  await open(sp, 'act/raiseDependency');
  const df = form(sp, 'raiseDependency');
  const dep = `E2E product photos ${Date.now()}`;
  await df.locator('input[name=title]').fill(dep);
  await df.locator('select[name=owed_by]').selectOption({ label: 'Claire Martin' });
  await df.locator('input[name=due_date]').fill(localInput(new Date(Date.now() - 2 * 86400_000)));
  await df.locator('[data-submit]').click();
  await sp.locator('[data-testid=write-done]', { hasText: 'Dependency raised' }).waitFor();

  await open(sp, 'raid');
  const riskRow = sp.locator('[data-testid=raid-risks] tr', { hasText: risk });
  await riskRow.locator('td.score', { hasText: '20' }).waitFor();
  assert.equal(await sp.locator('[data-testid=raid-risks] tbody tr').first().getAttribute('data-risk'), risk, 'the highest score first');
  const depRow = sp.locator('[data-testid=raid-dependencies] tr', { hasText: dep });
  await depRow.locator('.flag', { hasText: 'Client, late' }).waitFor();
  assert.equal(await depRow.locator('[data-action=meetDependency]').count(), 0, 'the supplier does not owe it');
  await axe(sp, 'raid');
  await shot(sp, 'raid');
  await live(sp);

  const cctx = await context({ locale: 'fr-FR' });
  const cp = await cctx.newPage();
  await signIn(cp, 'client');
  await open(cp, 'raid');
  const mine = cp.locator('[data-testid=raid-dependencies] tr', { hasText: dep });
  await mine.locator('.flag', { hasText: 'Client, en retard' }).waitFor();
  await axe(cp, 'raid (fr)');
  await mine.locator('a[data-action=meetDependency]').click();
  const mf = form(cp, 'meetDependency');
  await mf.waitFor();
  await mf.locator('textarea[name=note]').fill('Photos envoyées par WeTransfer.');
  await mf.locator('[data-submit]').click();
  await cp.locator('[data-testid=write-done]', { hasText: 'Dépendance honorée' }).waitFor();
  await cctx.close();

  // The supplier sees it met, and still late.
  await sp.locator('[data-testid=arrival]', { hasText: 'Dependency met' }).waitFor();
  await depRow.locator('.flag', { hasText: /^Met / }).waitFor();
  await depRow.locator('.flag', { hasText: 'Client, late' }).waitFor();
  await sctx.close();
});

test('no console error, page error or CSP refusal; no serious or critical axe violation', () => {
  assert.deepEqual(problems, []);
  assert.deepEqual(a11y, [], JSON.stringify(a11y, null, 2));
});
