// What a widget asks of visitors besides chat, in Chromium against the real
// server and Langflow (the echo agent): the owner turned on the CSAT question,
// the contact form and "talk to a person". A visitor chats, leaves their
// details (the form refuses a bad address first), rates the conversation and
// asks for a person, and the owner finds each on that conversation (the
// widget sends them as usage events); the extras load only on those widgets,
// pass axe-core in light and dark mode, and work under the host page's strict
// CSP (no 'unsafe-inline'). A form that comes before the chat takes the
// composer's place until it is sent. The owner reads the leads in the
// dashboard, downloads them as CSV, finds them in the inbox, and changes what
// the widget asks in its form; each dashboard view passes axe-core.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';
import { Dashboard } from './dashboard.page.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core over the widget alone (the host page's landmarks are the host's
 * business), or over the whole `document` (the dashboard, but the widget
 * preview's frame, which the widget's specs audit). Evaluated rather than
 * added as a script: the host page's CSP allows none.
 * @param {import('@playwright/test').Page} page
 * @param {'widget' | 'document'} [scope]
 */
async function audit(page, scope = 'widget') {
  await page.evaluate(AXE);
  return page.evaluate(async (scope) => {
    const runOnly = { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] };
    const result =
      scope === 'widget'
        ? await window.axe.run({ include: [['#sitekit-root']] }, { runOnly, rules: { region: { enabled: false } } })
        : await window.axe.run({ exclude: [['iframe']] }, { runOnly });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, scope);
}

/** An admin API answer, with the owner's secret key. */
async function admin(path) {
  const server = new URL(process.env.E2E_DASHBOARD_URL).origin;
  const response = await fetch(`${server}${path}`, {
    headers: { authorization: `Bearer ${process.env.E2E_SECRET_KEY}` },
  });
  expect(response.status).toBe(200);
  return response.json();
}

/** The names of the scripts the page loaded from the embed server's assets. */
function extrasRequests(page) {
  const seen = [];
  page.on('request', (request) => {
    if (/\/v1\/assets\/widget-extras-[0-9a-f]{16}\.js$/.test(request.url())) seen.push(request.url());
  });
  return seen;
}

for (const colorScheme of ['light', 'dark']) {
  test(`a visitor leaves details, rates the conversation and asks for a person (${colorScheme})`, async ({ page }) => {
    test.setTimeout(90_000);
    await page.emulateMedia({ colorScheme });
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const extras = extrasRequests(page);
    await page.goto(process.env.E2E_ENGAGED_PAGE);
    const widget = new ChatWidget(page);
    await widget.open();
    // Nothing asked before the visitor wrote.
    await expect(page.getByTestId('sitekit-handoff')).toBeHidden();
    await expect(page.getByTestId('sitekit-lead-form')).toBeHidden();
    await expect(page.getByTestId('sitekit-csat')).toBeHidden();

    await widget.ask('Hello, can somebody call me?');
    await expect(widget.assistantMessages.last()).toContainText('can somebody call me');
    const form = page.getByTestId('sitekit-lead-form');
    await expect(form).toBeVisible();
    await expect(page.getByTestId('sitekit-csat')).toBeVisible();
    await expect(page.getByTestId('sitekit-handoff')).toBeVisible();
    await expect(form).toContainText(process.env.E2E_CONSENT_TEXT);
    expect(extras).toHaveLength(1);
    expect(await audit(page)).toEqual([]);

    // The form checks what the server checks, and sends nothing until it holds.
    await page.getByTestId('sitekit-lead-name').fill('Ada Lovelace');
    await page.getByTestId('sitekit-lead-email').fill('ada@');
    await page.getByTestId('sitekit-lead-submit').click();
    await expect(page.getByTestId('sitekit-lead-email')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('sitekit-lead-thanks')).toHaveCount(0);
    expect(await audit(page)).toEqual([]);
    await page.getByTestId('sitekit-lead-email').fill('ada@example.com');
    await page.getByTestId('sitekit-lead-message').fill('<b>after 5pm</b>, please');
    await page.getByTestId('sitekit-lead-consent').check();
    await page.getByTestId('sitekit-lead-submit').click();
    await expect(page.getByTestId('sitekit-lead-thanks')).toBeVisible();

    await page.getByTestId('sitekit-csat-4').click();
    await expect(page.getByTestId('sitekit-csat-thanks')).toBeVisible();
    await page.getByTestId('sitekit-handoff').click();
    await expect(page.getByTestId('sitekit-handoff-status')).toBeVisible();
    expect(await audit(page)).toEqual([]);
    expect(errors).toEqual([]);

    // The owner has all of it, on this visitor's conversation (the widget's
    // usage events go out in batches: poll).
    const thread = await page.evaluate(
      () =>
        Object.entries(localStorage)
          .find(([key]) => key.endsWith(':thread'))?.[1]
          .split('@')[0],
    );
    const conversation = async () => {
      const page = await admin('/v1/conversations?hasLead=true&limit=200');
      return page.conversations.find((c) => c.threadId === thread);
    };
    await expect.poll(async () => (await conversation())?.csat, { timeout: 30_000 }).toBe(4);
    const found = await conversation();
    expect(found.handoffRequested).toBe(true);
    const whole = await admin(`/v1/conversations/${found.id}`);
    expect(whole.lead).toMatchObject({
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      message: '<b>after 5pm</b>, please',
      consentText: process.env.E2E_CONSENT_TEXT,
    });
  });
}

test('a contact form before the chat takes the composer’s place until it is sent', async ({ page }) => {
  await page.goto(process.env.E2E_LEAD_FIRST_PAGE);
  const widget = new ChatWidget(page);
  await widget.launcher.click();
  const form = page.getByTestId('sitekit-lead-form');
  await expect(form).toBeVisible();
  await expect(widget.input).toBeHidden();
  await expect(page.getByTestId('sitekit-starters')).toBeHidden();
  await expect(page.getByTestId('sitekit-lead-dismiss')).toBeHidden();
  await page.getByTestId('sitekit-lead-name').fill('Grace Hopper');
  await page.getByTestId('sitekit-lead-email').fill('grace@example.com');
  await page.getByTestId('sitekit-lead-consent').check();
  await page.getByTestId('sitekit-lead-submit').click();
  await expect(page.getByTestId('sitekit-lead-thanks')).toBeVisible();
  await expect(page.getByTestId('sitekit-starters')).toBeVisible();
  await widget.ask('Now I can write');
  await expect(widget.assistantMessages.last()).toContainText('Now I can write');
});

test('a widget whose owner asks nothing more never loads the extras', async ({ page }) => {
  const extras = extrasRequests(page);
  await page.goto(process.env.E2E_ECHO_PAGE);
  const widget = new ChatWidget(page);
  await widget.open();
  await widget.ask('Just a question');
  await expect(widget.assistantMessages.last()).toContainText('Just a question');
  await expect(page.getByTestId('sitekit-csat')).toHaveCount(0);
  expect(extras).toEqual([]);
});

test('the owner reads leads, exports them as CSV, finds them in the inbox and changes what the widget asks', async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const context = await browser.newContext({ acceptDownloads: true });
  try {
    // A visitor leaves details the owner will look for.
    const email = `owner-test-${Date.now()}@example.com`;
    const visitor = await context.newPage();
    await visitor.goto(process.env.E2E_ENGAGED_PAGE);
    const widget = new ChatWidget(visitor);
    await widget.open();
    await widget.ask('Please get back to me');
    await expect(visitor.getByTestId('sitekit-lead-form')).toBeVisible();
    await visitor.getByTestId('sitekit-lead-name').fill('=Grace');
    await visitor.getByTestId('sitekit-lead-email').fill(email);
    await visitor.getByTestId('sitekit-lead-consent').check();
    await visitor.getByTestId('sitekit-lead-submit').click();
    await expect(visitor.getByTestId('sitekit-lead-thanks')).toBeVisible();
    await visitor.getByTestId('sitekit-csat-5').click();

    const page = await context.newPage();
    const dashboard = new Dashboard(page);
    await dashboard.goto();
    await dashboard.signIn(process.env.E2E_SECRET_KEY);
    await dashboard.openTab('leads');
    const row = page.getByTestId('lead-row').filter({ hasText: email });
    // The widget's usage events go out in batches: show the list again until it is there.
    await expect
      .poll(
        async () => {
          await page.getByTestId('leads-show').click();
          await expect(page.getByTestId('leads-status')).not.toHaveText('Loading…');
          return row.count();
        },
        { timeout: 30_000 },
      )
      .toBe(1);
    await expect(row).toContainText('=Grace');
    await expect(row).toContainText(process.env.E2E_CONSENT_TEXT);
    expect(await audit(page, 'document')).toEqual([]);

    const download = page.waitForEvent('download');
    await page.getByTestId('leads-export').click();
    expect((await download).suggestedFilename()).toBe('sitekit-leads.csv');
    const csv = await readFile(await (await download).path(), 'utf8');
    expect(csv.split('\r\n')[0]).toBe(
      'created_at,widget_id,conversation_id,name,email,message,consent_text,visitor_id,thread_id',
    );
    // A visitor's text a spreadsheet would run as a formula is defused.
    expect(csv.split('\r\n').find((line) => line.includes(email))).toContain(`,'=Grace,${email},`);

    await dashboard.openTab('conversations');
    await page.getByTestId('conversations-has-lead').check();
    await page.getByTestId('conversations-show').click();
    const conversation = page.getByTestId('conversation-row').filter({ hasText: 'Echo with extras' }).first();
    await expect(conversation.getByTestId('conversation-follow-up')).toContainText('Left contact details');
    await conversation.getByTestId('conversation-open').click();
    await expect(page.getByTestId('transcript-lead')).toBeVisible();
    expect(await audit(page, 'document')).toEqual([]);

    // Today's satisfaction, beside its chart.
    await dashboard.openTab('usage');
    const today = new Date().toISOString().slice(0, 10);
    const mean = page
      .getByTestId('usage-table-satisfaction')
      .locator(`tr[data-date="${today}"] [data-counter="csatAverage"]`);
    // As for the lead: show again until the batch with the answer is in.
    await expect
      .poll(
        async () => {
          await page.getByTestId('usage-show').click();
          await expect(page.getByTestId('usage-updated')).not.toHaveText('Loading…');
          return (await mean.count()) > 0 ? mean.textContent() : '';
        },
        { timeout: 30_000 },
      )
      .toMatch(/^[1-5]\.\d$/);
    expect(await audit(page, 'document')).toEqual([]);

    // The widget's engagement settings, read back and changed in its form.
    await dashboard.openTab('widgets');
    await page
      .locator(`[data-widget-id="${process.env.E2E_ENGAGED_WIDGET_ID}"]`)
      .getByRole('button', { name: /^Edit/ })
      .click();
    await expect(page.getByTestId('widget-csat')).toBeChecked();
    await expect(page.getByTestId('widget-lead-when')).toHaveValue('afterMessages');
    expect(await audit(page, 'document')).toEqual([]);
    await page.getByTestId('widget-handoff').uncheck();
    await dashboard.saveWidget();
    await expect(dashboard.editorNotice).toBeVisible();
    const saved = await admin(`/v1/widgets/${process.env.E2E_ENGAGED_WIDGET_ID}`);
    expect(saved.engagement).toMatchObject({ csat: true, handoff: false, leadForm: { when: 'afterMessages' } });
    await page.getByTestId('widget-handoff').check();
    await dashboard.saveWidget();
    await expect
      .poll(async () => (await admin(`/v1/widgets/${process.env.E2E_ENGAGED_WIDGET_ID}`)).engagement.handoff)
      .toBe(true);
  } finally {
    await context.close();
  }
});
