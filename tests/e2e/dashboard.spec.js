// The site owner's dashboard against the real server: a widget made there, its
// snippet pasted into a host page on another origin, a visitor chatting with the
// real Langflow FAQ flow, and that conversation counted in the usage tables;
// subscribing to an agent another organisation publishes, moving between its
// versions and running it in a widget; sign-in with a wrong key; keys shown
// once, rotated and revoked; every view accessible and within the page's
// Content-Security-Policy.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';
import { Dashboard } from './dashboard.page.js';
import { startHostSite } from './harness.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const today = () => new Date().toISOString().slice(0, 10);

/** `GET path` on the admin API with `key`. */
function adminGet(path, key) {
  return fetch(new URL(path, process.env.E2E_DASHBOARD_URL), { headers: { authorization: `Bearer ${key}` } });
}

/** `PATCH path` on the admin API with `key` and a JSON `body`; throws unless it succeeds. */
async function adminPatch(path, key, body) {
  const response = await fetch(new URL(path, process.env.E2E_DASHBOARD_URL), {
    method: 'PATCH',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`PATCH ${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
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

    expect(await page.evaluate(() => window.violations)).toEqual([]);
  });
}
