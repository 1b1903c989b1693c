// The widget as a host page's developer meets it: the JS API (calls queued before
// the loader ran, listeners, identify), the unread badge, the launcher's theme,
// and keyboard-only use.
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';

test('calls queued before the loader ran are replayed, and listeners hear the conversation', async ({ page }) => {
  const identified = page.waitForRequest(
    (request) =>
      request.url().includes('/v1/usage/events') &&
      (request.postData() ?? '').includes('dev.sitekit.visitor.identified'),
  );
  await page.goto(process.env.E2E_QUEUED_PAGE);
  const widget = new ChatWidget(page);

  // SiteKit('send') ran before the loader existed: the answer comes while the
  // panel stays closed, so the launcher counts it as unread.
  await expect(widget.unread).toHaveText('1');
  await expect(widget.panel).toBeHidden();
  await expect(widget.launcher).toHaveAttribute('aria-label', 'Open chat – unread: 1');
  const heard = () => page.evaluate(() => window.heard);
  expect(await heard()).toEqual([
    ['message', 'user', 'What are keys?'],
    ['message', 'assistant', expect.stringContaining('skt_pub_')],
  ]);

  await widget.launcher.click();
  await expect(widget.panel).toBeVisible();
  await expect(widget.unread).toBeHidden();
  await expect(widget.userMessages).toHaveText(['What are keys?']);
  await widget.close.click();
  await expect
    .poll(heard)
    .toEqual([
      ['message', 'user', 'What are keys?'],
      ['message', 'assistant', expect.stringContaining('skt_pub_')],
      ['open'],
      ['close'],
    ]);

  // SiteKit('identify') reached the site owner's usage as its own event.
  const request = await identified;
  const event = JSON.parse(request.postData()).find((e) => e.type === 'dev.sitekit.visitor.identified');
  expect(event.data).toEqual({ id: 'user-42', name: 'Ada Lovelace', email: 'ada@example.com' });
  const answer = await (await request.response()).json();
  expect(answer.results.find((result) => result.id === event.id).status).toBe('accepted');
});

test('a failed run reaches the page as an error event', async ({ page, context }) => {
  await page.goto(process.env.E2E_ALLOWED_PAGE);
  const widget = new ChatWidget(page);
  await widget.open();
  await page.evaluate(() => {
    window.heard = [];
    window.SiteKit('on', 'error', (error) => window.heard.push(error.code));
  });
  await context.setOffline(true);
  await widget.ask('Hello?');
  await expect(widget.error).toBeVisible();
  expect(await page.evaluate(() => window.heard)).toEqual(['network']);
});

test("the launcher shows the widget's icon and side, at once on the next page", async ({ page }) => {
  const widget = new ChatWidget(page);
  const icon = widget.launcher.locator('path');
  await page.goto(process.env.E2E_ALLOWED_PAGE);
  const chatIcon = await icon.getAttribute('d');

  await page.goto(process.env.E2E_THEMED_PAGE);
  await expect(widget.launcher).toHaveClass(/left/);
  await expect(icon).not.toHaveAttribute('d', chatIcon);
  const sparkles = await icon.getAttribute('d');
  const box = await widget.launcher.boundingBox();
  expect(box.x).toBeLessThan(100);

  // The next page shows the same launcher before the config is even asked for.
  await page.route('**/config', () => {}); // never answers
  await page.reload();
  await expect(widget.launcher).toHaveClass(/left/);
  await expect(icon).toHaveAttribute('d', sparkles);
});

test('keyboard only: open, write, send, close with Escape, and focus is back on the launcher', async ({ page }) => {
  await page.goto(process.env.E2E_ALLOWED_PAGE);
  const widget = new ChatWidget(page);
  await page.keyboard.press('Tab');
  expect(await widget.focused()).toBe('sitekit-launcher');
  await page.keyboard.press('Enter');
  await expect(widget.panel).toBeVisible();
  await expect.poll(() => widget.focused()).toBe('sitekit-input');
  await expect(widget.launcher).toHaveAttribute('aria-expanded', 'true');

  await page.keyboard.type('How do I install the snippet?');
  await page.keyboard.press('Enter');
  await expect(widget.assistantMessages.last()).toContainText('To install Site Kit embed');
  await page.keyboard.press('Escape');
  await expect(widget.panel).toBeHidden();
  expect(await widget.focused()).toBe('sitekit-launcher');
  await expect(widget.launcher).toHaveAttribute('aria-expanded', 'false');
});
