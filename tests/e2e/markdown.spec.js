// An agent's Markdown becomes elements in the widget, and markup or script in
// its text stays text. The echo flow answers with the visitor's own message, so
// the test decides exactly what the agent "says", streamed in small chunks.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const PAYLOADS = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=1">',
  '<a href="javascript:window.__pwned=1">x</a>',
];

// Longer than the panel is wide: code keeps its lines and scrolls.
const CODE_LINE =
  'npx sitekit serve --bind 127.0.0.1:8080 --database-url sqlite://sitekit.db --public-url https://chat.example.com';

const MESSAGE = [
  '## Release notes',
  'Install with **npm** and run `sitekit serve`:',
  '',
  '- first item',
  '- second *item*',
  '',
  '```sh',
  'npm install @sitekit/sdk',
  CODE_LINE,
  '```',
  '',
  'Read [the docs](https://example.com/docs) or [click me](javascript:window.__pwned=1).',
  '',
  ...PAYLOADS,
].join('\n');

test('an answer in Markdown renders as elements, and its markup and script as text', async ({ page }) => {
  const errors = [];
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(process.env.E2E_ECHO_PAGE);
  const widget = new ChatWidget(page);
  await widget.open();
  await widget.recordAssistantTexts();
  // The composer is one line; the page's API sends the message with its line breaks.
  await page.evaluate((text) => window.SiteKit('send', text), MESSAGE);

  const answer = widget.assistantMessages.last();
  await expect(answer).toContainText(PAYLOADS[2]);
  await expect(widget.send).toBeVisible();
  // It streamed in: the answer was shown in several states on its way.
  const seen = (await widget.recordedTexts()).filter((text) => text.startsWith('Release notes'));
  expect(seen.length).toBeGreaterThan(2);

  await expect(answer.locator('h3')).toHaveText('Release notes');
  await expect(answer.locator('strong')).toHaveText('npm');
  await expect(answer.locator('p > code')).toHaveText('sitekit serve');
  await expect(answer.locator('ul > li')).toHaveText(['first item', 'second item']);
  await expect(answer.locator('li em')).toHaveText('item');
  await expect(answer.locator('pre > code')).toHaveText(`npm install @sitekit/sdk\n${CODE_LINE}`);
  const code = answer.locator('pre');
  expect(await code.evaluate((pre) => pre.scrollWidth > pre.clientWidth)).toBe(true);
  const [bubble, panel] = [await answer.boundingBox(), await page.getByTestId('sitekit-panel').boundingBox()];
  expect(bubble.x + bubble.width).toBeLessThanOrEqual(panel.x + panel.width);

  const docs = answer.getByRole('link', { name: 'the docs' });
  await expect(docs).toHaveAttribute('href', 'https://example.com/docs');
  await expect(docs).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(docs).toHaveAttribute('target', '_blank');
  await expect(answer).toContainText('or click me.');
  await expect(answer.getByRole('link', { name: 'click me' })).toHaveCount(0);
  await expect(answer.locator('a')).toHaveCount(1);

  for (const payload of PAYLOADS) {
    await expect(answer).toContainText(payload);
    await expect(widget.userMessages.last()).toContainText(payload);
  }
  await expect(page.getByTestId('sitekit-messages').locator('script, img, iframe')).toHaveCount(0);
  await expect(page.getByTestId('sitekit-messages').locator('a[href^="javascript" i]')).toHaveCount(0);
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
  expect(errors).toEqual([]);

  // Headings, lists, code and links stay accessible, the scrolling code included.
  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(
      { include: [['#sitekit-root']] },
      {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
        rules: { region: { enabled: false } }, // the host page's landmarks are the host's business
      },
    );
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  expect(violations).toEqual([]);
});
