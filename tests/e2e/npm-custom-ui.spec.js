// The npm package in a browser page, as a web developer ships it: packed,
// installed from its tarball into an empty project next to
// examples/npm-custom-ui (no bundler, an import map), served from a site of its
// own, chatting with a real `sitekit serve` and the real Langflow FAQ flow; and
// its usage events leaving with the page (only the usage token in the URL) and
// counted once.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServerWithWidgets, startStaticDir } from './harness.js';
import { installPackedSdk } from '../npm/packed.js';
import { CustomChatPage } from './custom-ui.page.js';

const HINT = 'run the end-to-end tests through `cargo xtask test`';
let installed;
let site;
let server;
let pageUrl;
let usagePageUrl;

test.beforeAll(async () => {
  installed = installPackedSdk();
  for (const file of ['index.html', 'app.js', 'style.css']) {
    cpSync(new URL(`../../examples/npm-custom-ui/${file}`, import.meta.url), join(installed.project, file));
  }
  cpSync(new URL('./fixtures/sdk-usage.html', import.meta.url), join(installed.project, 'usage.html'));
  site = await startStaticDir(installed.project);

  server = await startServerWithWidgets({
    tenant: 'Custom UI',
    origin: site.origin,
    hint: HINT,
    widgets: [{ file: 'sitekit_faq.py', title: 'Custom help desk' }],
  });
  const query = new URLSearchParams({ endpoint: server.url, key: server.keys['sitekit_faq.py'] });
  pageUrl = `${site.origin}/index.html?${query}`;
  usagePageUrl = `${site.origin}/usage.html?${query}`;
});

test.afterAll(() => {
  server?.stop();
  site?.server.close();
  installed?.dir.remove();
});

test('a page of its own streams a chat through the installed package', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.goto(pageUrl);
  const chat = new CustomChatPage(page);
  await expect(page.locator('#title')).toHaveText('Custom help desk');
  await expect(chat.input).toBeEnabled();

  // Record every state the answer passes through, to see it stream.
  await page.evaluate(() => {
    window.answerStates = [];
    new MutationObserver(() => {
      const answers = document.querySelectorAll('[data-testid="message-assistant"]');
      const last = answers[answers.length - 1];
      if (last) window.answerStates.push(last.textContent);
    }).observe(document.getElementById('messages'), { subtree: true, childList: true, characterData: true });
  });
  await chat.ask('How do I install the snippet?');
  await expect(chat.userMessages.last()).toHaveText('How do I install the snippet?');
  const answer = chat.assistantMessages.last();
  await expect(answer).toContainText('To install Site Kit embed, copy the snippet');
  await expect(answer).toContainText('allowed origins list.');
  const helpful = answer.getByRole('button', { name: 'Helpful', exact: true });
  await helpful.click();
  await expect(helpful).toHaveCount(0);
  const states = (await page.evaluate(() => window.answerStates)).filter((text) => text.startsWith('To install'));
  expect(new Set(states).size).toBeGreaterThan(2);
  expect(errors).toEqual([]);
});

test('a key the server does not know is explained on the page', async ({ page }) => {
  const query = new URLSearchParams({ endpoint: server.url, key: 'skt_pub_test_not_a_real_key' });
  await page.goto(`${site.origin}/index.html?${query}`);
  await expect(new CustomChatPage(page).status).toContainText('invalid_key');
});

/** The claims of a session token (base64url JSON, a dot, the signature). */
function claimsOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}

test('a leaving page’s URL carries only the usage token, whether fetch or the beacon sends it', async ({ page }) => {
  await page.goto(usagePageUrl);
  await page.evaluate(() => window.kitReady);
  const leaving = () => page.waitForRequest((request) => request.url().includes('/v1/usage/events?'));
  const hide = () => page.evaluate(() => window.dispatchEvent(new Event('pagehide')));
  const tokenOf = (request) => new URL(request.url()).searchParams.get('access_token');

  // fetch(keepalive) first: the page is only told it is going away, so the
  // request can be watched, and it stays alive to read the answer.
  await page.evaluate(() => window.kit.track('left_with_fetch'));
  const [fetched] = await Promise.all([leaving(), hide()]);
  const claims = claimsOf(tokenOf(fetched));
  expect(claims.sc).toBe('usage:beacon');
  expect(await fetched.headerValue('authorization')).toBeNull();
  await expect.poll(() => page.evaluate(() => window.kit.pendingEvents)).toBe(0);

  // Where the browser refuses keepalive (its 64 KB quota, say), sendBeacon
  // carries the same token.
  await page.evaluate(() => {
    const fetchOf = window.fetch.bind(window);
    window.fetch = (input, init) =>
      init?.keepalive ? Promise.reject(new TypeError('over quota')) : fetchOf(input, init);
    return window.kit.track('left_with_beacon');
  });
  const [beaconed] = await Promise.all([leaving(), hide()]);
  expect(claimsOf(tokenOf(beaconed))).toEqual(claims);
  expect(await beaconed.headerValue('authorization')).toBeNull();
  // A token that can only write usage: the chat refuses it.
  const refused = await page.evaluate(
    async ({ endpoint, token }) => {
      const response = await fetch(`${endpoint}/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ threadId: 't', runId: 'r', messages: [{ id: '1', role: 'user', content: 'hi' }] }),
      });
      return { status: response.status, body: await response.json() };
    },
    { endpoint: server.url, token: tokenOf(beaconed) },
  );
  expect(refused).toEqual({
    status: 403,
    body: { error: { code: 'missing_scope', message: expect.stringContaining('chat') } },
  });
});

test('usage events leave with the page and the next page’s copy counts once', async ({ page }) => {
  await page.goto(usagePageUrl);
  await page.evaluate(() => window.kitReady);
  const id = await page.evaluate(() => window.kit.track('checkout_started', { step: 1 }));
  // Waiting in localStorage until the server answers for it.
  expect(await page.evaluate(() => window.kit.pendingEvents)).toBe(1);
  const stored = await page.evaluate(() => JSON.stringify(localStorage));
  expect(stored).toContain(id);

  // Leaving the page sends it at once, with fetch(keepalive) and the usage
  // token in the query (Playwright does not report requests of a page being
  // unloaded; the server's answer below is the witness, and the test above
  // reads such a request's URL).
  await page.goto('about:blank');

  // The page never read the answer, so the next page finds the event stored and
  // sends it again: the server already had it from the leaving page.
  await page.goto(usagePageUrl);
  await page.evaluate(() => window.kitReady);
  expect(await page.evaluate(() => window.kit.pendingEvents)).toBe(1);
  expect(await page.evaluate(() => window.kit.flush())).toEqual({ accepted: 0, duplicate: 1, rejected: 0 });
  expect(await page.evaluate(() => window.kit.pendingEvents)).toBe(0);
  expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(id);
});
