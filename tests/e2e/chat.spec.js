// A visitor on an allowed site chats with the real Langflow FAQ flow; a site that
// is not allowed gets no chat, and its developer sees why in the console.
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';

test('a visitor opens the widget, asks, and sees the answer stream in', async ({ page }) => {
  const errors = [];
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.goto(process.env.E2E_ALLOWED_PAGE);
  const widget = new ChatWidget(page);

  await widget.open();
  await widget.recordAssistantTexts();
  await widget.ask('How do I install the snippet?');

  await expect(widget.userMessages.last()).toHaveText('How do I install the snippet?');
  const answer = widget.assistantMessages.last();
  await expect(answer).toContainText('To install Site Kit embed, copy the snippet');
  await expect(answer).toContainText('allowed origins list.');

  // Streaming: the answer was shown growing, in several intermediate states.
  const seen = (await widget.recordedTexts()).filter((text) => text.startsWith('To install'));
  expect(seen.length).toBeGreaterThan(2);
  for (let i = 1; i < seen.length; i += 1) expect(seen[i].startsWith(seen[i - 1])).toBe(true);

  await expect(widget.error).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a site that is not allowed gets no chat and a console error naming the cause', async ({ page }) => {
  const errors = [];
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.goto(process.env.E2E_FOREIGN_PAGE);

  await expect.poll(() => errors.join('\n')).toContain('origin_not_allowed');
  expect(errors.join('\n')).toContain(process.env.E2E_FOREIGN_ORIGIN);
  const widget = new ChatWidget(page);
  await expect(widget.launcher).toHaveCount(0);
  await expect(widget.input).toHaveCount(0);
});

test('the conversation goes on after a reload, and SiteKit("reset") starts a new one', async ({ page }) => {
  await page.goto(process.env.E2E_ALLOWED_PAGE);
  const widget = new ChatWidget(page);
  await widget.open();
  await widget.ask('What are keys?');
  await expect(widget.assistantMessages.last()).toContainText('skt_pub_');
  await expect(widget.send).toBeVisible();

  await page.reload();
  await widget.open();
  await expect(widget.userMessages).toHaveText(['What are keys?']);
  await expect(widget.assistantMessages.last()).toContainText('skt_pub_');

  await page.evaluate(() => window.SiteKit('reset'));
  await expect(widget.userMessages).toHaveCount(0);
  await page.reload();
  await widget.open();
  await expect(widget.assistantMessages.first()).toBeVisible();
  await expect(widget.userMessages).toHaveCount(0);
});

test('offline, the visitor is told so, and the message goes out by itself once back online', async ({
  page,
  context,
}) => {
  await page.goto(process.env.E2E_ALLOWED_PAGE);
  const widget = new ChatWidget(page);
  await widget.open();
  await context.setOffline(true);
  await widget.ask('How do I install the snippet?');
  await expect(widget.error).toContainText('You seem to be offline');
  await expect(widget.retry).toBeVisible();

  await context.setOffline(false);
  await expect(widget.assistantMessages.last()).toContainText('To install Site Kit embed');
  await expect(widget.userMessages).toHaveCount(1);
  await expect(widget.error).toHaveCount(0);
});

test('a visitor rates an answer and the rating reaches the server as usage', async ({ page }) => {
  const isUsage = (request) => request.url().includes('/v1/usage/events') && request.method() === 'POST';
  const usage = [];
  page.on('request', (request) => isUsage(request) && usage.push(...JSON.parse(request.postData() ?? '[]')));
  await page.goto(process.env.E2E_ALLOWED_PAGE);
  const widget = new ChatWidget(page);
  await widget.open();
  await widget.ask('What are keys?');
  await expect(widget.assistantMessages.last()).toContainText('skt_pub_');

  const isFeedback = (request) => isUsage(request) && (request.postData() ?? '').includes('dev.sitekit.feedback');
  const reported = page.waitForRequest(isFeedback);
  const helpful = page.getByTestId('sitekit-rate-up').last();
  await helpful.click();
  await expect(helpful).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('sitekit-rate-down').last()).toBeDisabled();

  // Sent with the next batch (within seconds), as a CloudEvent naming the run
  // and the thread the rated answer belongs to: that of the message it answered.
  const request = await reported;
  const feedback = JSON.parse(request.postData()).find((event) => event.type === 'dev.sitekit.feedback');
  expect(feedback.specversion).toBe('1.0');
  expect(feedback.data).toEqual({
    threadId: expect.stringMatching(/^thread-[0-9a-f]{32}$/),
    runId: expect.stringMatching(/^run-\d+-\d+$/),
    rating: 'up',
  });
  const sent = usage.find(
    (event) => event.type === 'dev.sitekit.message.sent' && event.data.runId === feedback.data.runId,
  );
  expect(sent.data.threadId).toBe(feedback.data.threadId);
  const answer = await (await request.response()).json();
  expect(answer.results.find((result) => result.id === feedback.id).status).toBe('accepted');
});
