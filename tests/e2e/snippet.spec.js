// The snippets the admin API hands out work pasted as they are; the pinned one
// runs only the exact loader its integrity names.
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';

const variants = [
  { name: 'pinned', page: 'E2E_PINNED_PAGE', loader: () => process.env.E2E_PINNED_LOADER_URL },
  {
    name: 'auto-updating',
    page: 'E2E_AUTO_UPDATING_PAGE',
    loader: () => new URL('/v1/loader.js', process.env.E2E_PINNED_LOADER_URL).href,
  },
];

for (const variant of variants) {
  test(`a visitor chats on a page with the ${variant.name} snippet pasted in`, async ({ page }) => {
    const errors = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    const loader = page.waitForResponse(variant.loader());
    await page.goto(process.env[variant.page]);
    expect((await loader).status()).toBe(200);
    const widget = new ChatWidget(page);

    await widget.open();
    await widget.ask('How do I install the snippet?');
    await expect(widget.assistantMessages.last()).toContainText('allowed origins list.');

    await expect(widget.error).toHaveCount(0);
    expect(errors).toEqual([]);
  });
}

test('a pinned snippet whose integrity does not match the loader shows no chat', async ({ page }) => {
  const errors = [];
  const requests = [];
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  page.on('request', (request) => requests.push(request.url()));
  const loader = page.waitForResponse(process.env.E2E_PINNED_LOADER_URL);
  await page.goto(process.env.E2E_TAMPERED_PAGE);

  // The browser fetched the loader, compared it with the integrity and refused to run it.
  expect((await loader).status()).toBe(200);
  await expect.poll(() => errors.join('\n')).toContain('integrity');
  expect(errors.join('\n')).toContain(process.env.E2E_PINNED_LOADER_URL);
  await page.waitForLoadState('networkidle');
  await expect(new ChatWidget(page).launcher).toHaveCount(0);
  expect(requests.filter((url) => url.includes('/config'))).toEqual([]);
});
