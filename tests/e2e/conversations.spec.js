// The site owner's inbox against the real server, Langflow and Chromium: a
// visitor chats with the echo agent (which answers with the visitor's words,
// so the test decides what the agent "says") and rates the answer down; the
// owner finds the conversation by a word in it and by the rating, reads the
// transcript (the agent's Markdown as elements, its markup and script as
// text), downloads it as JSON Lines, and deletes everything of that visitor's
// at their request. Each view passes axe-core.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';
import { Dashboard } from './dashboard.page.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** A word no other test's conversation holds. */
const WORD = `marmot${Date.now()}`;

const MESSAGE = [
  `## About **${WORD}**`,
  '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>',
  'Read [the docs](https://example.com/docs) or [click me](javascript:window.__pwned=3).',
].join('\n');

async function audit(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

test("a site owner finds a visitor's conversation, reads it safely, exports it and deletes it on request", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const context = await browser.newContext();
  try {
    const visitor = await context.newPage();
    await visitor.goto(process.env.E2E_ECHO_PAGE);
    const widget = new ChatWidget(visitor);
    await widget.open();
    await visitor.evaluate((text) => window.SiteKit('send', text), MESSAGE);
    await expect(widget.assistantMessages.last()).toContainText('click me');
    await expect(widget.send).toBeVisible();
    const notHelpful = visitor.getByTestId('sitekit-rate-down').last();
    await notHelpful.click();
    await expect(notHelpful).toHaveAttribute('aria-pressed', 'true');

    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const dashboard = new Dashboard(page);
    await dashboard.goto();
    await dashboard.signIn(process.env.E2E_SECRET_KEY);
    await dashboard.openTab('conversations');
    const rows = page.getByTestId('conversation-row');
    const search = async ({ ratedDown = false, errored = false } = {}) => {
      await page.getByTestId('conversations-search').fill(WORD);
      await page.getByTestId('conversations-rated-down').setChecked(ratedDown);
      await page.getByTestId('conversations-errored').setChecked(errored);
      await page.getByTestId('conversations-show').click();
      await expect(page.getByTestId('conversations-status')).not.toHaveText('Loading…');
      return rows.count();
    };
    // The turn is written as the answer ends and the rating with the page's next
    // batch of usage events: poll.
    await expect.poll(() => search({ ratedDown: true }), { timeout: 30_000 }).toBe(1);
    await expect(rows.first()).toContainText('Echo');
    await expect(rows.first().getByTestId('conversation-outcome')).toHaveText('Answered');
    await expect(rows.first()).toContainText('0 up, 1 down');
    expect(await search({ errored: true })).toBe(0);
    await expect(page.getByTestId('no-conversations')).toBeVisible();
    expect(await search()).toBe(1);
    expect(await audit(page)).toEqual([]);

    await rows.first().getByTestId('conversation-open').click();
    const transcript = page.getByTestId('transcript');
    const messages = transcript.getByTestId('transcript-message');
    await expect(messages).toHaveCount(2);
    // The visitor's words are text as written; the agent's Markdown becomes elements.
    await expect(messages.first()).toContainText('<img src=x onerror="window.__pwned=1">');
    await expect(messages.first().locator('strong, h3, a')).toHaveCount(0);
    const answer = messages.last();
    await expect(answer.locator('h3 strong')).toHaveText(WORD);
    await expect(answer).toContainText('<script>window.__pwned=2</script>');
    const docs = answer.getByRole('link', { name: 'the docs' });
    await expect(docs).toHaveAttribute('href', 'https://example.com/docs');
    await expect(docs).toHaveAttribute('rel', 'noopener noreferrer');
    await expect(answer).toContainText('or click me.');
    await expect(answer.locator('a')).toHaveCount(1);
    await expect(transcript.locator('script, img, iframe, a[href^="javascript" i]')).toHaveCount(0);
    const run = page.getByTestId('transcript-run');
    await expect(run).toHaveCount(1);
    await expect(run).toContainText('ok');
    await expect(run).toContainText('down');
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(await audit(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await audit(page)).toEqual([]);
    const visitorId = (await page.getByTestId('transcript-visitor').textContent()).trim();

    await page.getByTestId('transcript-back').click();
    expect(await search()).toBe(1);
    const download = page.waitForEvent('download');
    await page.getByTestId('conversations-export').click();
    expect((await download).suggestedFilename()).toBe('sitekit-conversations.ndjson');
    const lines = (await readFile(await (await download).path(), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    const exported = JSON.parse(lines[0]);
    expect(exported.visitorId).toBe(visitorId);
    expect(exported.transcript.map((message) => message.content)).toEqual([MESSAGE, MESSAGE]);
    expect(exported.runRecords[0].rating).toBe('down');

    // The visitor asks for their data to be erased: all of it goes, after a confirmation.
    await rows.first().getByTestId('conversation-open').click();
    await page.getByTestId('transcript-delete-visitor').click();
    const dialog = page.getByTestId('delete-visitor');
    await expect(dialog).toContainText(visitorId);
    expect(await audit(page)).toEqual([]);
    await page.getByTestId('delete-visitor-confirm').click();
    await expect(page.getByTestId('conversations-filters')).toBeVisible();
    expect(await search()).toBe(0);
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});
