// A purchase on the Waldur marketplace, end to end: the order placed in a
// Waldur stand-in is provisioned by the real waldur-site-agent and its Site
// Kit plugin, the snippet Waldur shows the buyer goes into the buyer's page,
// and a visitor chats in Chromium. Then Waldur bills (month-to-date usage,
// the same however often it is reported), pauses and restores the purchase,
// lowers its limit, and ends it; the visitor sees each.
//
// The site agent runs in event mode, as a production one that reacts within
// seconds: it listens on its queue on a real RabbitMQ, and each order, pause
// and restore reaches it as Waldur's message. Usage is reported by one cycle
// of its report mode. (SITEKIT_WALDUR_AGENT_MODE=polling runs one cycle of
// the polling modes per step instead.)
//
// The marketplace side runs in Python (integrations/waldur-site-agent/tests/
// marketplace_session.py, the plugin tests' own harness), driven here a JSON
// line at a time.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';
import { requireEnv, startHostSite } from './harness.js';

const HINT = 'run the end-to-end tests through `cargo xtask test`';
const TESTS = fileURLToPath(new URL('../../integrations/waldur-site-agent/tests/', import.meta.url));
// The published agent runs the echo flow (flows/echo.py): it answers with the question.
const QUESTION = 'How do I install the snippet?';

test.describe.configure({ mode: 'serial' });
// A step waits for the agent to act on an event (or, polling, runs a cycle of it,
// which starts in about five seconds).
test.setTimeout(180_000);
const MODE = process.env.SITEKIT_WALDUR_AGENT_MODE || 'event';

/** The Python side: one JSON command in, one JSON answer out. */
class Marketplace {
  constructor() {
    this.child = spawn(requireEnv('SITEKIT_WALDUR_PYTHON', HINT), ['marketplace_session.py'], {
      cwd: TESTS,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async next() {
    const { value, done } = await this.lines.next();
    if (done) throw new Error('the marketplace session ended');
    const answer = JSON.parse(value);
    if (answer.error) throw new Error(answer.error);
    return answer;
  }

  send(command) {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    return this.next();
  }

  /** Resolves once it has stopped everything it started (RabbitMQ, the agent, the server). */
  stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end(`${JSON.stringify({ do: 'stop' })}\n`);
    return exited;
  }
}

let market;
let ready;
let site;
let page;
let widget;
let bought;

test.beforeAll(async ({ browser }) => {
  site = await startHostSite();
  market = new Marketplace();
  ready = await market.next();
  page = await browser.newPage();
  widget = new ChatWidget(page);
});

test.afterAll(async () => {
  await page?.close();
  await market?.stop();
  site?.server.close();
});

test("a purchase becomes a chat on the buyer's site; the time from the order to the first answer is printed", async () => {
  expect(ready.mode, 'event mode needs RabbitMQ (Debian package rabbitmq-server)').toBe(MODE);
  bought = await market.send({ do: 'buy', origins: [site.origin], limits: { messages: 100 } });
  expect(bought.order).toBe('done');
  // What the buyer sees in Waldur: the snippet and the dashboard as endpoints,
  // a secret and a publishable key among the resource's API keys.
  const endpoints = Object.fromEntries(bought.resource.endpoints.map(({ name, url }) => [name, url]));
  const snippet = Object.entries(endpoints).find(([name]) => name.startsWith('Chat widget snippet'))[1];
  expect(Object.values(endpoints)).toContain(`${new URL(snippet.match(/src="([^"]+)"/)[1]).origin}/dashboard`);
  const kinds = bought.apiKeys.map((key) => key.api_key.split('_')[1]).sort();
  expect(kinds).toEqual(['pub', 'sec']);

  site.setSnippet(snippet);
  await page.goto(`${site.origin}/`);
  await widget.open();
  await widget.ask(QUESTION);
  await expect(widget.assistantMessages.last()).toContainText('How');
  const firstAnswer = Date.now();
  await expect(widget.assistantMessages.last()).toHaveText(QUESTION);
  await expect(widget.error).toHaveCount(0);
  console.log(
    `purchase -> first streamed answer (${bought.mode} mode): ` +
      `${((firstAnswer - bought.placedAt) / 1000).toFixed(1)} s ` +
      `(provisioned in ${((bought.provisionedAt - bought.placedAt) / 1000).toFixed(1)} s)`,
  );
});

test("Waldur bills the server's month-to-date count, and a second report changes nothing", async () => {
  const first = await market.send({ do: 'report' });
  expect(first.server.messages).toBe(1);
  expect(first.held).toEqual({
    messages: first.server.messages.toFixed(2),
    input_tokens: first.server.inputTokens.toFixed(2),
    output_tokens: first.server.outputTokens.toFixed(2),
  });
  const second = await market.send({ do: 'report' });
  expect(second.sent).toBe(0);
  expect(second.held).toEqual(first.held);
});

test('paused by Waldur, the chat tells the visitor so; restored, it answers again', async () => {
  const paused = await market.send({ do: 'pause', paused: true });
  expect(paused.widget.widget.paused).toBe(true);
  await widget.ask('Still there?');
  await expect(widget.error).toContainText('This chat is paused for now. Please come back later.');

  const restored = await market.send({ do: 'pause', paused: false });
  expect(restored.widget.widget.paused).toBe(false);
  await widget.ask('Back again?');
  await expect(widget.assistantMessages.last()).toHaveText('Back again?');
});

test("a lower limit becomes the widget's monthly budget; terminated, the widget is gone", async () => {
  const updated = await market.send({ do: 'update', limits: { messages: 2 } });
  expect(updated.order).toBe('done');
  expect(updated.widget.widget.monthlyMessageBudget).toBe(2);
  // Two messages ran this month: the budget is spent. (On a month's last day it
  // renews tomorrow, and the widget says that instead.)
  await widget.ask('One more?');
  await expect(widget.error).toContainText(/This chat is paused for now|come back tomorrow/);

  const ended = await market.send({ do: 'terminate' });
  expect(ended.order).toBe('done');
  expect(ended.resource.state).toBe('Terminated');
  expect(ended.widget.status).toBe(404);
  // The page still open gets no answer; loaded again, it shows no chat at all.
  await widget.ask('Anyone?');
  await expect(widget.error).toBeVisible();
  await expect(widget.error).not.toContainText(/paused for now|come back tomorrow/);
  const errors = [];
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.reload();
  await expect.poll(() => errors.join('\n')).toContain('invalid_key');
  await expect(widget.launcher).toHaveCount(0);
});
