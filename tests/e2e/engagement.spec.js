// What a widget asks of visitors besides chat, in Chromium against the real
// server and Langflow (the echo agent): the owner turned on the CSAT question,
// the contact form and "talk to a person". A visitor chats, leaves their
// details (the form refuses a bad address first), rates the conversation and
// asks for a person, and the owner finds each on that conversation (the
// widget sends them as usage events); the extras load only on those widgets,
// pass axe-core in light and dark mode, and work under the host page's strict
// CSP (no 'unsafe-inline'). A form that comes before the chat takes the
// composer's place until it is sent.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core over the widget alone: the host page's landmarks are the host's
 * business. Evaluated rather than added as a script: the page's CSP allows none.
 */
async function audit(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const result = await window.axe.run(
      { include: [['#sitekit-root']] },
      {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
        rules: { region: { enabled: false } },
      },
    );
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
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
