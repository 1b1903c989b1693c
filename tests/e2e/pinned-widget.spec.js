// A pinned snippet pins the widget too: its loader carries the integrity of the
// widget's JS and Wasm, so bytes altered on the way (a proxy, a compromised
// CDN) never run. The page shows no chat, runs none of the widget's code, and
// its console says why.
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';

const WIDGET_JS = '**/v1/assets/widget-*.js';
const WIDGET_WASM = '**/v1/assets/widget-*.wasm';
const WHY = "the widget's files failed their integrity check";

/**
 * Serves `pattern`'s GET responses altered by `alter` (all of them, or only
 * those after the first `untouched`); routing also turns the HTTP cache off, so
 * every fetch of the file reaches this. Resolves to a count of the fetches.
 */
async function tamper(page, pattern, alter, { untouched = 0 } = {}) {
  const fetched = { count: 0 };
  await page.route(pattern, async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    const response = await route.fetch();
    fetched.count += 1;
    const body = await response.body();
    // The body is decoded here; what the browser gets says so.
    const headers = { ...response.headers() };
    delete headers['content-encoding'];
    delete headers['content-length'];
    await route.fulfill({
      status: response.status(),
      headers,
      body: fetched.count > untouched ? alter(body) : body,
    });
  });
  return fetched;
}

/** The JS module with one more statement, which flags that it ran. */
const flaggedJs = (body) => Buffer.concat([body, Buffer.from('\n;window.__tampered = true;\n')]);

/** The Wasm with a custom section appended: still a valid module, other bytes. */
const extendedWasm = (body) => Buffer.concat([body, Buffer.from([0, 9, 8, ...Buffer.from('tampered')])]);

/**
 * Records the page's console errors and its requests for a session, and counts
 * Wasm instantiations: the widget's code runs only in an instance of its Wasm.
 */
async function watch(page) {
  const seen = { errors: [], sessions: 0 };
  page.on('console', (message) => message.type() === 'error' && seen.errors.push(message.text()));
  page.on('request', (request) => {
    if (request.url().endsWith('/v1/sessions')) seen.sessions += 1;
  });
  await page.addInitScript(() => {
    window.__instances = 0;
    for (const name of ['instantiate', 'instantiateStreaming']) {
      const original = WebAssembly[name];
      WebAssembly[name] = function (...args) {
        window.__instances += 1;
        return original.apply(this, args);
      };
    }
  });
  seen.sitekit = () => seen.errors.filter((error) => error.startsWith('[SiteKit]'));
  return seen;
}

/** What a page with altered widget files must show: nothing of the chat, and why. */
async function expectNoChat(page, seen) {
  const widget = new ChatWidget(page);
  // The loader checks the files on idle time, before anyone interacts.
  await expect.poll(seen.sitekit).toEqual([`[SiteKit] ${WHY}`]);
  await expect(widget.launcher).toHaveCount(0);
  // The page asks for the chat itself: the files fail again, and say so again.
  await page.evaluate(() => window.SiteKit('open'));
  await expect.poll(seen.sitekit).toEqual([`[SiteKit] ${WHY}`, `[SiteKit] could not load the chat: ${WHY}`]);
  await page.waitForLoadState('networkidle');
  await expect(widget.panel).toHaveCount(0);
  expect(await page.evaluate(() => [window.__instances, window.__tampered])).toEqual([0, undefined]);
  expect(seen.sessions).toBe(0);
}

test('a pinned page whose widget Wasm was altered shows no chat, runs none of it and says why', async ({ page }) => {
  const seen = await watch(page);
  await tamper(page, WIDGET_WASM, extendedWasm);
  await page.goto(process.env.E2E_PINNED_PAGE);
  await expectNoChat(page, seen);
});

test('a pinned page whose widget JS was altered shows no chat, runs none of it and says why', async ({ page }) => {
  const seen = await watch(page);
  await tamper(page, WIDGET_JS, flaggedJs);
  await page.goto(process.env.E2E_PINNED_PAGE);
  await expectNoChat(page, seen);
});

test('the widget module that runs is the one checked: it is fetched once, not again unchecked', async ({ page }) => {
  const seen = await watch(page);
  // Any fetch of the module after the checked one would get altered bytes.
  const js = await tamper(page, WIDGET_JS, flaggedJs, { untouched: 1 });
  await page.goto(process.env.E2E_PINNED_PAGE);
  const widget = new ChatWidget(page);

  await widget.open();
  await widget.ask('How do I install the snippet?');
  await expect(widget.assistantMessages.last()).toContainText('allowed origins list.');

  expect(js.count).toBe(1);
  expect(await page.evaluate(() => [window.__instances, window.__tampered])).toEqual([1, undefined]);
  expect(seen.errors).toEqual([]);
});
