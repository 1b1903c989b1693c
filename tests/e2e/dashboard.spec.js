// The site owner's dashboard against the real server: a widget made there, its
// snippet pasted into a host page on another origin, a visitor chatting with the
// real Langflow FAQ flow, and that conversation counted in the usage tables;
// subscribing to an agent another organisation publishes, moving between its
// versions and running it in a widget; the seller's view of how buyers use its
// versions (counts only, none of the visitors' words); sign-in with a wrong
// key; keys shown once, rotated and revoked; every view accessible and within
// the page's Content-Security-Policy.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';
import { Dashboard } from './dashboard.page.js';
import { startHostSite } from './harness.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const today = () => new Date().toISOString().slice(0, 10);

/** How long a request to the admin API may take here, so one that stalls names itself. */
const ADMIN_TIMEOUT_MS = 15_000;

/**
 * `GET path` on the admin API with `key`, its body read whole. A GET changes nothing, so one
 * that gets no whole answer in time is sent once more, with a warning in the test's output.
 */
async function adminGet(path, key) {
  const url = new URL(path, process.env.E2E_DASHBOARD_URL);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const signal = AbortSignal.timeout(ADMIN_TIMEOUT_MS);
      const response = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal });
      const body = await response.text();
      return new Response(body || null, { status: response.status, headers: response.headers });
    } catch (error) {
      if (attempt === 2 || error.name !== 'TimeoutError') {
        throw new Error(`GET ${url.pathname} got no whole answer within ${ADMIN_TIMEOUT_MS} ms: ${error}`);
      }
      console.warn(`GET ${url.pathname} got no whole answer within ${ADMIN_TIMEOUT_MS} ms; sending it again`);
    }
  }
}

/** `PATCH path` on the admin API with `key` and a JSON `body`; throws unless it succeeds. */
async function adminPatch(path, key, body) {
  const response = await fetch(new URL(path, process.env.E2E_DASHBOARD_URL), {
    method: 'PATCH',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`PATCH ${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/** `POST path` on the admin API with `key` and a JSON `body`; throws unless it succeeds. */
async function adminPost(path, key, body) {
  const response = await fetch(new URL(path, process.env.E2E_DASHBOARD_URL), {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

/** `GET /v1/seller/usage` for `range` (`{ from, to }`) with `key`, as text and parsed. */
async function sellerUsage(key, range = {}) {
  const response = await adminGet(`v1/seller/usage?${new URLSearchParams(range)}`, key);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET /v1/seller/usage answered ${response.status}: ${text}`);
  return { text, report: JSON.parse(text) };
}

test('a site owner creates a widget, pastes its snippet, and sees the conversation counted', async ({ browser }) => {
  test.setTimeout(120_000);
  const host = await startHostSite();
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  try {
    const page = await context.newPage();
    const dashboard = new Dashboard(page);
    await dashboard.goto();
    await dashboard.signIn(process.env.E2E_SECRET_KEY);

    await dashboard.createWidget({
      agent: 'Site Kit FAQ',
      origins: [host.origin],
      title: 'Help from the dashboard',
      greeting: 'Hello! Ask me about Site Kit.',
      starterPrompts: ['How do I install the snippet?'],
    });
    // The real widget, with the settings not saved yet.
    const { preview } = dashboard;
    await expect(preview.launcher).toBeVisible();
    await expect(preview.panel).toBeVisible();
    await expect(preview.panel).toContainText('Help from the dashboard');
    await expect(preview.messages.first()).toHaveText('Hello! Ask me about Site Kit.');
    await expect(preview.starters).toHaveText(['How do I install the snippet?']);
    // A new widget starts with a finite daily budget, and the form says so.
    await expect(dashboard.dailyBudget).toHaveValue('1000');
    await expect(page.getByText('a new widget starts with 1,000')).toBeVisible();

    await dashboard.saveWidget();
    await expect(dashboard.editorNotice).toContainText('Widget created');
    await expect(dashboard.widgetError).toHaveText('');
    const widgetId = (await dashboard.widgetId()).trim();
    const saved = await (await adminGet(`v1/widgets/${widgetId}`, process.env.E2E_SECRET_KEY)).json();
    expect(saved.dailyMessageBudget).toBe(1000);
    await expect(preview.panel).toContainText('Help from the dashboard');

    // Both snippets; the copied one is exactly the one shown, and gets pasted.
    await expect(dashboard.snippet('pinned')).toContainText('integrity="sha384-');
    const snippet = await dashboard.copySnippet('auto');
    expect(snippet).toBe(await dashboard.snippet('auto').textContent());
    expect(snippet).toContain('data-key="skt_pub_');
    host.setSnippet(snippet, '/from-the-dashboard');

    const visitor = await context.newPage();
    await visitor.goto(`${host.origin}/from-the-dashboard`);
    const widget = new ChatWidget(visitor);
    await widget.open();
    await expect(widget.panel).toContainText('Help from the dashboard');
    await widget.ask('How do I install the snippet?');
    await expect(widget.assistantMessages.last()).toContainText('To install Site Kit embed');
    await visitor.close();

    // The run is recorded as the stream ends, off the visitor's path: poll.
    await dashboard.openTab('usage');
    await dashboard.showUsage(widgetId);
    await expect
      .poll(() => dashboard.usageCount('conversations', today(), 'conversations'), { timeout: 30_000 })
      .toBe(1);
    expect(await dashboard.usageCount('messages', today(), 'messages')).toBe(1);

    // The export of the same filters, saved under the server's file name.
    const download = await dashboard.exportUsage('csv');
    expect(download.suggestedFilename()).toMatch(/^sitekit-usage-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = await readFile(await download.path(), 'utf8');
    expect(csv.split('\n').filter((line) => line.includes(widgetId))).toHaveLength(1);
  } finally {
    await context.close();
    host.server.close();
  }
});

test('a site owner subscribes to a published agent, pins a version and runs it in a widget', async ({ browser }) => {
  test.setTimeout(120_000);
  const key = process.env.E2E_SECRET_KEY;
  const seller = process.env.E2E_SELLER_NAME;
  const published = process.env.E2E_CATALOG_FAQ_ID;
  const host = await startHostSite();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const dashboard = new Dashboard(page);
    await dashboard.goto();
    await dashboard.signIn(key);
    await dashboard.openTab('subscriptions');

    // Following the latest: version 2 (the echo flow).
    await dashboard.subscribe(`FAQ agent by ${seller}`, 'latest');
    await expect(dashboard.subscriptionsNotice).toHaveText(`Subscribed to FAQ agent by ${seller}: it runs version 2.`);
    await expect(dashboard.subscribeError).toHaveText('');
    const row = dashboard.subscriptionRowOf(published);
    await expect(row.getByTestId('subscription-agent')).toHaveText('FAQ agent');
    await expect(row).toContainText(seller);
    await expect(row.getByTestId('subscription-version')).toHaveText('Version 2');
    await expect(row.getByTestId('subscription-policy')).toHaveText('Follows the latest version');
    await expect(row.getByTestId('subscription-status')).toHaveText('Active');
    const subscriptionId = await row.getAttribute('data-subscription-id');
    expect(subscriptionId).toMatch(/^sub_/);

    // Pinned to version 1 (the FAQ flow) in one action, as the server now has it.
    await dashboard.changeVersion(row, 1);
    await expect(dashboard.subscriptionsNotice).toContainText('FAQ agent runs version 1 from its next chat');
    await expect(row.getByTestId('subscription-version')).toHaveText('Version 1');
    await expect(row.getByTestId('subscription-policy')).toHaveText('Pinned to version 1');
    await expect(dashboard.subscriptionsError).toHaveText('');
    const pinned = await (await adminGet(`v1/subscriptions/${subscriptionId}`, key)).json();
    expect(pinned).toMatchObject({ versionPolicy: 1, version: 1 });

    // A widget on the subscription: the agent choice offers it beside the tenant's own agents.
    await dashboard.openTab('widgets');
    await dashboard.createWidget({
      agent: `FAQ agent by ${seller} (subscription)`,
      origins: [host.origin],
      title: 'Help from a subscription',
      greeting: 'Hello from the FAQ agent.',
      starterPrompts: [],
    });
    await dashboard.saveWidget();
    await expect(dashboard.editorNotice).toContainText('Widget created');
    await expect(dashboard.widgetError).toHaveText('');
    const widgetId = (await dashboard.widgetId()).trim();
    const saved = await (await adminGet(`v1/widgets/${widgetId}`, key)).json();
    expect(saved.subscriptionId).toBe(subscriptionId);
    expect(saved.agentId).toBeUndefined();
    host.setSnippet(await dashboard.snippet('auto').textContent(), '/subscription');
    await dashboard.backToWidgets();
    await expect(dashboard.widgetRow('Help from a subscription').getByTestId('widget-runs')).toHaveText(
      `FAQ agent by ${seller} (subscription)`,
    );
    // The tenant's own agents' widgets still name their agent.
    await expect(dashboard.widgetRow('Site Kit help').first().getByTestId('widget-runs')).toHaveText(/^Site Kit FAQ/);

    // A visitor's chat runs the pinned version: the FAQ flow answers.
    const visitor = await context.newPage();
    await visitor.goto(`${host.origin}/subscription`);
    const chat = new ChatWidget(visitor);
    await chat.open();
    await chat.ask('How do I install the snippet?');
    await expect(chat.assistantMessages.last()).toContainText('To install Site Kit embed');
    await visitor.close();

    // Back to the latest in one action: the next visitor's chat runs version 2, the echo flow.
    await dashboard.openTab('subscriptions');
    await dashboard.changeVersion(row, 'latest');
    await expect(row.getByTestId('subscription-version')).toHaveText('Version 2');
    await expect(row.getByTestId('subscription-policy')).toHaveText('Follows the latest version');
    const nextContext = await browser.newContext();
    try {
      const next = await nextContext.newPage();
      await next.goto(`${host.origin}/subscription`);
      const nextChat = new ChatWidget(next);
      await nextChat.open();
      await nextChat.ask('Please say this back.');
      await expect(nextChat.assistantMessages.last()).toHaveText('Please say this back.');
    } finally {
      await nextContext.close();
    }
  } finally {
    await context.close();
    host.server.close();
  }
});

test("the subscriptions tab notes a deprecated or withdrawn agent and shows the server's refusals", async ({
  page,
}) => {
  const seller = process.env.E2E_SELLER_NAME;
  const legacy = process.env.E2E_CATALOG_LEGACY_ID;
  const dashboard = new Dashboard(page);
  await dashboard.goto();
  await dashboard.signIn(process.env.E2E_SECRET_KEY);
  await dashboard.openTab('subscriptions');

  const label = `Legacy agent by ${seller} (deprecated)`;
  await dashboard.subscribe(label, 1);
  const row = dashboard.subscriptionRowOf(legacy);
  await expect(row.getByTestId('subscription-policy')).toHaveText('Pinned to version 1');
  await expect(row.getByTestId('subscription-status')).toContainText('Deprecated');

  // The seller withdraws it while the form still offers it: the server's refusal, in its words.
  await adminPatch(`v1/catalog/agents/${legacy}`, process.env.E2E_SELLER_KEY, { status: 'withdrawn' });
  await dashboard.subscribe(label, 'latest');
  await expect(dashboard.subscribeError).toHaveText(
    `Legacy agent (${legacy}) was withdrawn and takes no new subscriptions`,
  );

  // Back on the tab: the subscription is still there and says why; the catalog no longer offers the agent.
  await dashboard.openTab('widgets');
  await dashboard.openTab('subscriptions');
  await expect(row.getByTestId('subscription-status')).toContainText('Withdrawn');
  await expect(row.getByTestId('subscription-status')).toContainText('Yours keeps working');
  await expect(dashboard.catalogChoice.getByRole('option', { name: /^Legacy agent/ })).toHaveCount(0);
  await expect(dashboard.subscribeError).toHaveText('');
  // Its widgets may still run it.
  await dashboard.openTab('widgets');
  await page.getByTestId('new-widget').click();
  await expect(page.getByTestId('widget-agent').getByRole('option', { name: /^Legacy agent/ })).toHaveText(
    `Legacy agent by ${seller} (subscription, withdrawn)`,
  );
});

test('an organisation with no agents, subscriptions or widgets is told what to do, and a seller may not subscribe', async ({
  page,
}) => {
  // The seller's organisation has published agents but none of its own, and sells without buying.
  const dashboard = new Dashboard(page);
  await dashboard.goto();
  await dashboard.signIn(process.env.E2E_SELLER_KEY);
  await expect(page.getByTestId('no-widgets')).toBeVisible();
  await page.getByTestId('new-widget').click();
  await expect(page.getByTestId('no-agents')).toContainText('A widget needs an agent first');

  await dashboard.openTab('subscriptions');
  await expect(page.getByTestId('no-subscriptions')).toBeVisible();
  await dashboard.subscribe(`FAQ agent by ${process.env.E2E_SELLER_NAME}`, 'latest');
  await expect(dashboard.subscribeError).toContainText('only an organisation that buys agents subscribes to them');
  await expect(page.getByTestId('no-subscriptions')).toBeVisible();
});

test("a wrong key is refused with the server's reason and kept nowhere", async ({ page }) => {
  const dashboard = new Dashboard(page);
  await dashboard.goto();
  const key = process.env.E2E_SECRET_KEY;
  // The right key with its last character changed: the checksum catches it.
  const mistyped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
  await dashboard.signIn(mistyped);

  await expect(dashboard.signInError).toContainText('the key is not valid');
  await expect(dashboard.tab('widgets')).toHaveCount(0);
  expect(page.url()).not.toContain('skt_');
  expect(await page.evaluate(() => sessionStorage.length + localStorage.length)).toBe(0);

  // The right key signs in; signing out forgets it.
  await dashboard.signIn(key);
  await expect(dashboard.tab('widgets')).toHaveAttribute('aria-selected', 'true');
  await dashboard.signOut.click();
  await expect(dashboard.keyInput).toBeFocused();
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
});

test('a new key is shown once; rotating and revoking keys works', async ({ browser }) => {
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  try {
    const page = await context.newPage();
    const dashboard = new Dashboard(page);
    await dashboard.goto();
    await dashboard.signIn(process.env.E2E_SECRET_KEY);
    await dashboard.openTab('keys');

    const key = await dashboard.createSecretKey();
    expect(key).toMatch(/^skt_sec_live_[0-9A-Za-z]{36}$/);
    await expect(page.getByTestId('new-key-warning')).toContainText('it will not be shown again');
    expect(await dashboard.copyNewKey()).toBe(key);
    expect((await adminGet('v1/widgets', key)).status).toBe(200);
    await dashboard.dismissNewKey();
    await expect(dashboard.newKey).toHaveCount(0);
    expect(await page.content()).not.toContain(key);
    await expect(dashboard.keyRow(key).getByTestId('key-status')).toHaveText('Active');

    // Rotation: a replacement shown once; the old key works for the grace period.
    const replacement = await dashboard.rotateKey(key);
    expect(replacement).toMatch(/^skt_sec_live_/);
    expect(replacement).not.toBe(key);
    expect((await adminGet('v1/widgets', replacement)).status).toBe(200);
    expect((await adminGet('v1/widgets', key)).status).toBe(200);
    await dashboard.dismissNewKey();

    await dashboard.revokeKey(replacement);
    await expect(dashboard.keyRow(replacement).getByTestId('key-status')).toHaveText('Revoked');
    const refused = await adminGet('v1/widgets', replacement);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error.code).toBe('key_revoked');
  } finally {
    await context.close();
  }
});

// Version 1 of the seller's FAQ agent runs the FAQ flow, which answers this
// with its install entry; version 2 the echo flow, which says back what it is told.
const FAQ_QUESTION = 'How do I install the snippet?';
const FAQ_ANSWER = 'To install Site Kit embed';
const ECHO_QUESTIONS = ['Repeat after me: the heron flies at noon.', 'And again: the heron lands at dusk.'];

/** A visitor rates the last answer (`up` or `down`), and the server accepts the rating. */
async function rateLastAnswer(page, rating) {
  const sent = page.waitForResponse(
    (response) =>
      response.url().includes('/v1/usage/events') &&
      (response.request().postData() ?? '').includes('dev.sitekit.feedback'),
  );
  const thumb = page.getByTestId(`sitekit-rate-${rating}`).last();
  await thumb.click();
  await expect(thumb).toHaveAttribute('aria-pressed', 'true');
  expect((await sent).ok()).toBe(true);
}

/** The number a cell starts with (`1,234 ms` → 1234, `75%` → 75), or null for `—`. */
function leadingNumber(text) {
  const digits = /^[\d,.\s\u00a0\u202f]*\d/.exec(text.trim());
  return digits ? Number(digits[0].replace(/[^\d.]/g, '')) : null;
}

test('a seller compares its versions side by side, with the runs its buyers made and none of their words', async ({
  browser,
}) => {
  test.setTimeout(150_000);
  const sellerKey = process.env.E2E_SELLER_KEY;
  const shop = { id: process.env.E2E_SHOP_ID, name: process.env.E2E_SHOP_NAME, key: process.env.E2E_SHOP_KEY };
  const faq = process.env.E2E_CATALOG_FAQ_ID;
  const host = await startHostSite();
  const visitors = await browser.newContext();
  const context = await browser.newContext({ locale: 'en-US' });
  try {
    // The buyer, through the admin API: one subscription pinned to version 1 and
    // one following the latest (version 2), and a test-mode widget on each.
    const pinned = await adminPost('v1/subscriptions', shop.key, { publishedAgentId: faq, version: 1 });
    const latest = await adminPost('v1/subscriptions', shop.key, { publishedAgentId: faq, version: 'latest' });
    expect([pinned.version, latest.version]).toEqual([1, 2]);
    for (const [subscription, path] of [
      [pinned, '/version-1'],
      [latest, '/latest'],
    ]) {
      const created = await adminPost('v1/widgets', shop.key, {
        subscriptionId: subscription.id,
        allowedOrigins: [host.origin],
        testMode: true,
      });
      host.setSnippet(created.snippet, path);
    }

    // One visitor asks version 1 once and finds the answer helpful; another has
    // a conversation of two questions with version 2 and finds the last answer unhelpful.
    const first = await visitors.newPage();
    await first.goto(`${host.origin}/version-1`);
    const faqChat = new ChatWidget(first);
    await faqChat.open();
    await faqChat.ask(FAQ_QUESTION);
    await expect(faqChat.assistantMessages.last()).toContainText(FAQ_ANSWER);
    await rateLastAnswer(first, 'up');
    const second = await visitors.newPage();
    await second.goto(`${host.origin}/latest`);
    const echoChat = new ChatWidget(second);
    await echoChat.open();
    for (const question of ECHO_QUESTIONS) {
      await echoChat.ask(question);
      await expect(echoChat.assistantMessages.last()).toHaveText(question);
    }
    await rateLastAnswer(second, 'down');
    const answers = [await faqChat.assistantMessages.last().textContent(), ...ECHO_QUESTIONS];
    await visitors.close();

    // The API counts this buyer's runs on the version each ran (runs are recorded
    // as their stream ends, off the visitor's path: poll), and says nothing of what was said.
    const shopCounts = (report) =>
      [1, 2].map((version) => {
        const rows = report.days.filter(
          (row) => row.buyerId === shop.id && row.publishedAgentId === faq && row.version === version,
        );
        const sum = (counter) => rows.reduce((total, row) => total + row[counter], 0);
        return [sum('runs'), sum('conversations'), sum('feedbackUp'), sum('feedbackDown')];
      });
    await expect
      .poll(async () => shopCounts((await sellerUsage(sellerKey)).report), { timeout: 30_000 })
      .toEqual([
        [1, 1, 1, 0],
        [2, 1, 0, 1],
      ]);
    const { text } = await sellerUsage(sellerKey);
    for (const words of [FAQ_QUESTION, ...answers]) expect(text).not.toContain(words);
    // Counts, times, names of agents and buyers, error codes (`visitor_left` is one): no field of a visitor or thread.
    const fields = new Set();
    const walk = (value) => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object')
        for (const [name, inner] of Object.entries(value)) {
          fields.add(name);
          // An `errors` object's keys are error codes.
          if (name !== 'errors') walk(inner);
        }
    };
    walk(JSON.parse(text));
    expect([...fields].filter((name) => /visitor|thread|message|text|question|answer/i.test(name))).toEqual([]);
    expect(fields).toContain('buyerName');

    // The seller's dashboard.
    const page = await context.newPage();
    const dashboard = new Dashboard(page);
    await dashboard.goto();
    await dashboard.signIn(sellerKey);
    await dashboard.openTab('seller');
    await dashboard.showSellerUsage();
    const range = await dashboard.sellerRange();
    const card = dashboard.sellerAgent(faq);
    await expect(card.getByRole('heading', { name: 'FAQ agent' })).toBeVisible();
    await expect(card.getByTestId('seller-versions').locator('thead th[data-version]')).toHaveText([
      'Version 1',
      'Version 2 (latest)',
    ]);
    await expect(
      dashboard
        .sellerAgent(process.env.E2E_CATALOG_LEGACY_ID)
        .getByTestId('seller-versions')
        .locator('thead th[data-version]'),
    ).toHaveText(['Version 1 (latest)']);
    await expect(page.getByTestId('seller-empty')).toHaveCount(0);

    // This buyer, by name, with its two subscriptions (one following the latest)
    // and its runs on the version each ran.
    const row = dashboard.sellerBuyerRow(faq, shop.id);
    await expect(row.getByTestId('seller-buyer-name')).toHaveText(shop.name);
    for (const [counter, value] of [
      ['subscriptions', '2'],
      ['followingLatest', '1'],
      ['runs', '3'],
      ['v1', '1'],
      ['v2', '2'],
    ]) {
      await expect(row.locator(`td[data-counter="${counter}"]`)).toHaveText(value);
    }

    // Every number the page shows for the agent is the server's, for the same range
    // (other tests run these versions too; the page is read again until it has them all).
    await expect(async () => {
      await dashboard.showSellerUsage();
      const { report } = await sellerUsage(sellerKey, range);
      const versions = report.versions.filter((v) => v.publishedAgentId === faq);
      expect(versions.map((v) => v.version)).toEqual([1, 2]);
      for (const v of versions) {
        const cell = (metric) => dashboard.sellerVersionCell(faq, v.version, metric);
        for (const metric of ['subscriptions', 'runs', 'conversations', 'inputTokens', 'outputTokens']) {
          expect(leadingNumber(await cell(metric)), `${metric} of version ${v.version}`).toBe(v[metric]);
        }
        const errors = Object.values(v.errors).reduce((total, n) => total + n, 0);
        expect(leadingNumber(await cell('errors'))).toBe(errors);
        for (const code of Object.keys(v.errors)) expect(await cell('errors')).toContain(code);
        expect(await cell('ratings')).toBe(`${v.feedbackUp} / ${v.feedbackDown}`);
        expect(leadingNumber(await cell('upRatio'))).toBe(
          v.feedbackUpRatio === undefined ? null : Math.round(v.feedbackUpRatio * 100),
        );
        for (const metric of ['firstEventMsP50', 'firstEventMsP95', 'durationMsP50', 'durationMsP95']) {
          expect(leadingNumber(await cell(metric)), `${metric} of version ${v.version}`).toBe(v[metric] ?? null);
        }
        expect(await cell('tokensPerRun')).toBe(
          v.runs === 0
            ? '—'
            : ((v.inputTokens + v.outputTokens) / v.runs).toLocaleString('en-US', { maximumFractionDigits: 1 }),
        );
      }
      // Runs per day by version: today's row of the chart's table.
      const todays = card.getByTestId('seller-runs-table').locator(`tr[data-date="${today()}"]`);
      for (const version of [1, 2]) {
        const runs = report.days
          .filter((d) => d.date === today() && d.publishedAgentId === faq && d.version === version)
          .reduce((total, d) => total + d.runs, 0);
        expect(leadingNumber(await todays.locator(`td[data-counter="v${version}"]`).textContent())).toBe(runs);
      }
      // Every buyer of the agent, with its subscriptions now.
      const buyers = report.subscriptions.filter((s) => s.publishedAgentId === faq);
      for (const buyer of buyers) {
        const buyerRow = dashboard.sellerBuyerRow(faq, buyer.buyerId);
        expect(await buyerRow.getByTestId('seller-buyer-name').textContent()).toBe(buyer.buyerName);
        expect(leadingNumber(await buyerRow.locator('td[data-counter="subscriptions"]').textContent())).toBe(
          buyer.subscriptions,
        );
        expect(leadingNumber(await buyerRow.locator('td[data-counter="followingLatest"]').textContent())).toBe(
          buyer.followingLatest,
        );
      }
    }).toPass({ timeout: 30_000 });

    // The chart of runs per day, its legend naming the versions.
    await expect(card.locator('.chart canvas')).toBeVisible();
    await expect(card.locator('.chart .u-legend .u-series .u-label')).toHaveText(['Version 1', 'Version 2 (latest)']);

    // Nothing the visitors asked or were answered reaches the seller's page.
    const html = await page.content();
    for (const words of [FAQ_QUESTION, ...answers]) expect(html).not.toContain(words);
  } finally {
    await visitors.close();
    await context.close();
    host.server.close();
  }
});

test('the seller tab says when there is no usage yet', async ({ page }) => {
  const dashboard = new Dashboard(page);
  await dashboard.goto();
  await dashboard.signIn(process.env.E2E_SELLER_KEY);
  await dashboard.openTab('seller');
  // Days long before any of these tests: the versions are listed, with nothing counted.
  await dashboard.showSellerUsage({ from: '2020-01-01', to: '2020-01-31' });
  await expect(page.getByTestId('seller-empty')).toHaveText(
    "No usage yet between 2020-01-01 and 2020-01-31: no buyer's visitor ran or rated your agents on those days.",
  );
  const faq = process.env.E2E_CATALOG_FAQ_ID;
  await expect(dashboard.sellerAgent(faq).getByTestId('seller-no-runs')).toHaveText(
    'No runs of FAQ agent in this range.',
  );
  expect(await dashboard.sellerVersionCell(faq, 2, 'runs')).toBe('0');
  expect(await dashboard.sellerVersionCell(faq, 2, 'upRatio')).toBe('—');
  expect(await dashboard.sellerVersionCell(faq, 2, 'durationMsP95')).toBe('—');

  // A seller that has published nothing yet.
  await dashboard.signOut.click();
  await dashboard.signIn(process.env.E2E_NEW_SELLER_KEY);
  await dashboard.openTab('seller');
  await expect(page.getByTestId('seller-empty')).toContainText('you have not published a version of any agent');
  await expect(page.getByTestId('seller-agent')).toHaveCount(0);
  await expect(page.getByTestId('seller-error')).toHaveText('');
});

test('an organisation that does not sell is told so on the seller tab, and a key without seller:read is told what it lacks', async ({
  page,
}) => {
  const dashboard = new Dashboard(page);
  await dashboard.goto();
  // The dashboard's organisation buys and does not sell.
  await dashboard.signIn(process.env.E2E_SECRET_KEY);
  await dashboard.openTab('seller');
  const notASeller = page.getByTestId('seller-not-a-seller');
  await expect(notASeller).toContainText('Your organisation does not sell agents, so there is nothing to show here.');
  await expect(notASeller).not.toContainText('not_a_seller');
  await expect(page.getByTestId('seller-filters')).toBeHidden();
  await expect(page.getByTestId('seller-error')).toHaveText('');

  // The seller makes restricted keys with the new scopes under Keys.
  await dashboard.signOut.click();
  await dashboard.signIn(process.env.E2E_SELLER_KEY);
  await dashboard.openTab('keys');
  const created = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().endsWith('/v1/keys')) created.push(request.postDataJSON());
  });
  const reader = await dashboard.createRestrictedKey(['seller:read']);
  await dashboard.dismissNewKey();
  const publisher = await dashboard.createRestrictedKey(['catalog:write']);
  await dashboard.dismissNewKey();
  expect(created.map((request) => request.scopes)).toEqual([['seller:read'], ['catalog:write']]);
  expect((await adminGet('v1/seller/usage', reader)).status).toBe(200);
  const refused = await adminGet('v1/seller/usage', publisher);
  expect(refused.status).toBe(403);
  expect((await refused.json()).error.code).toBe('missing_scope');

  // Signed in with the key that lacks seller:read, the tab names the scope.
  await dashboard.signOut.click();
  await dashboard.signIn(publisher);
  await dashboard.openTab('seller');
  await expect(page.getByTestId('seller-missing-scope')).toContainText(
    'The key you signed in with lacks the seller:read scope, which this tab needs.',
  );
  await expect(page.getByTestId('seller-filters')).toBeHidden();
  // With the one that has it, the seller's agents.
  await dashboard.signOut.click();
  await dashboard.signIn(reader);
  await dashboard.openTab('seller');
  await expect(dashboard.sellerAgent(process.env.E2E_CATALOG_FAQ_ID)).toBeVisible();
  await expect(page.getByTestId('seller-missing-scope')).toHaveCount(0);
});

for (const colorScheme of ['light', 'dark']) {
  test(`every view passes axe-core and keeps to the page's CSP, ${colorScheme}`, async ({ page }) => {
    await page.emulateMedia({ colorScheme });
    // Injected by the browser itself, so the page's CSP does not stop it.
    await page.addInitScript(() => {
      window.violations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.violations.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    const dashboard = new Dashboard(page);
    await dashboard.goto();
    await page.evaluate(AXE);
    const audit = () =>
      page.evaluate(async () => {
        const result = await window.axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
          // The preview frame is the widget's, which its own specs audit.
          exclude: [['iframe']],
        });
        return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });

    expect(await audit()).toEqual([]);
    await dashboard.signIn(process.env.E2E_SECRET_KEY);
    await expect(page.getByTestId('widgets-table')).toBeVisible();
    expect(await audit()).toEqual([]);
    await page.getByTestId('widget-row').first().getByRole('button', { name: /^Edit/ }).click();
    await expect(dashboard.preview.panel).toBeVisible();
    await expect(dashboard.snippet('auto')).toBeVisible();
    expect(await audit()).toEqual([]);
    await dashboard.openTab('subscriptions');
    // Rows if another test subscribed before, else the empty list's words; the catalog either way.
    await expect(page.getByTestId('subscriptions-table').or(page.getByTestId('no-subscriptions'))).toBeVisible();
    await expect(dashboard.catalogChoice.getByRole('option').first()).toBeAttached();
    expect(await audit()).toEqual([]);
    await dashboard.openTab('keys');
    await expect(dashboard.keyRows.first()).toBeVisible();
    expect(await audit()).toEqual([]);
    await dashboard.openTab('usage');
    await expect(page.getByTestId('usage-table-messages')).toBeVisible();
    expect(await audit()).toEqual([]);
    // Rows if visitors chatted before, else the empty list's words.
    await dashboard.openTab('conversations');
    await expect(page.getByTestId('conversations-table').or(page.getByTestId('no-conversations'))).toBeVisible();
    expect(await audit()).toEqual([]);
    await dashboard.openTab('leads');
    await expect(page.getByTestId('leads-table').or(page.getByTestId('no-leads'))).toBeVisible();
    expect(await audit()).toEqual([]);
    // The buyer's seller tab says it does not sell; the seller's shows its agents.
    await dashboard.openTab('seller');
    await expect(page.getByTestId('seller-not-a-seller')).toBeVisible();
    expect(await audit()).toEqual([]);
    await dashboard.signOut.click();
    await dashboard.signIn(process.env.E2E_SELLER_KEY);
    await dashboard.openTab('seller');
    await expect(page.getByTestId('seller-agent').first().getByTestId('seller-versions')).toBeVisible();
    expect(await audit()).toEqual([]);

    expect(await page.evaluate(() => window.violations)).toEqual([]);
  });
}
