// The widget keeps its looks and works on any page: under hostile global CSS,
// under a strict Content-Security-Policy, on a phone, in dark mode; and it has
// no accessibility violations that axe-core can find, open or closed, light or dark.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Chats once and checks the answer arrived, as proof the widget works here. */
async function chatWorks(widget) {
  await widget.open();
  await widget.ask('How do I install the snippet?');
  await expect(widget.assistantMessages.last()).toContainText('allowed origins list.');
}

test('hostile global CSS neither hides nor restyles the widget', async ({ page }) => {
  await page.goto(process.env.E2E_HOSTILE_PAGE);
  const widget = new ChatWidget(page);
  await expect(widget.launcher).toBeVisible();
  const launcher = await widget.launcher.boundingBox();
  expect([launcher.width, launcher.height]).toEqual([56, 56]);
  await chatWorks(widget);
  const looks = await widget.input.evaluate((input) => {
    const panel = getComputedStyle(input.closest('section'));
    return { font: getComputedStyle(input).fontSize, color: panel.color, background: panel.backgroundColor };
  });
  expect(looks).toEqual({ font: '15px', color: 'rgb(17, 24, 39)', background: 'rgb(255, 255, 255)' });
  // Nor does the widget's CSS reach the page: its paragraph keeps the page's rules.
  const paragraph = await page
    .locator('p')
    .first()
    .evaluate((p) => getComputedStyle(p).fontSize);
  expect(paragraph).toBe('40px');
});

test('under a strict CSP (no unsafe-inline) the widget loads and chats without a violation', async ({ page }) => {
  await page.addInitScript(() => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.violations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  const errors = [];
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  const response = await page.goto(process.env.E2E_CSP_PAGE);
  expect(response.headers()['content-security-policy']).toContain('script-src');
  const widget = new ChatWidget(page);
  await chatWorks(widget);
  // The host page's own favicon (a data: URL) is the one thing the policy blocks.
  const violations = await page.evaluate(() => window.violations);
  expect(violations.filter((violation) => !violation.endsWith(' data'))).toEqual([]);
  expect(errors.filter((error) => error.includes('[SiteKit]'))).toEqual([]);
});

test('on a phone the open panel fills the screen', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 667 });
  await page.goto(process.env.E2E_ALLOWED_PAGE);
  const widget = new ChatWidget(page);
  await widget.open();
  expect(await widget.panel.boundingBox()).toEqual({ x: 0, y: 0, width: 375, height: 667 });
  await widget.close.click();
  await expect(widget.launcher).toBeVisible();
});

test("dark mode follows the visitor's system setting", async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(process.env.E2E_ALLOWED_PAGE);
  const widget = new ChatWidget(page);
  await widget.open();
  const background = await widget.panel.evaluate((panel) => getComputedStyle(panel).backgroundColor);
  expect(background).toBe('rgb(17, 24, 39)');
});

test("reduced motion stops the typing indicator's animation", async ({ page }) => {
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(process.env.E2E_ALLOWED_PAGE);
  const widget = new ChatWidget(page);
  await widget.open();
  // The answer is held back a little, so the typing indicator stays up.
  await page.route('**/v1/chat', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  });
  await widget.ask('How do I install the snippet?');
  const dot = page.getByTestId('sitekit-typing').locator('.dot').first();
  await expect(dot).toBeAttached();
  expect(await dot.evaluate((element) => getComputedStyle(element).animationName)).toBe('none');
});

for (const colorScheme of ['light', 'dark']) {
  test(`axe-core finds no violations, closed and open, ${colorScheme}`, async ({ page }) => {
    await page.emulateMedia({ colorScheme });
    await page.goto(process.env.E2E_ALLOWED_PAGE);
    await page.addScriptTag({ content: AXE });
    const widget = new ChatWidget(page);
    const audit = () =>
      page.evaluate(async () => {
        const result = await window.axe.run(
          { include: [['#sitekit-root']] },
          {
            runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
            rules: { region: { enabled: false } }, // the host page's landmarks are the host's business
          },
        );
        return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });

    await expect(widget.launcher).toBeVisible();
    expect(await audit()).toEqual([]);

    await widget.open();
    await widget.ask('What are keys?');
    await expect(widget.assistantMessages.last()).toContainText('skt_pub_');
    await expect(widget.send).toBeVisible();
    expect(await audit()).toEqual([]);
  });
}
