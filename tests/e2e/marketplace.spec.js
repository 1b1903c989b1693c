// A seller publishes an agent to the catalog, then a second version of it. One
// buyer pinned version 1, another follows the latest: on a site of its own,
// each buyer's widget runs the version its subscription resolves to (the two
// visitors get different answers to the same question), the usage records name
// that version and each buyer sees only its own widget's runs, and one
// `set-version` call rolls a buyer back: the next chat on the page already open
// runs version 1.
import { expect, test } from '@playwright/test';
import { ChatWidget } from './chat-widget.page.js';
import {
  langflowFlowId,
  requireEnv,
  sitekitJson,
  startHostSite,
  startServer,
  tempDir,
  usageCloudEvents,
} from './harness.js';

const HINT = 'run the end-to-end tests through `cargo xtask test`';

// Version 1 runs the FAQ flow (flows/sitekit_faq.py), which answers this with
// its install entry; version 2 runs the echo flow (flows/echo.py), which
// answers with the question itself.
const QUESTION = 'How do I install the snippet?';
const FAQ_START = 'To install Site Kit embed, copy the snippet';
const FAQ_END = 'allowed origins list.';

// The tests tell one story, and the visitors' pages stay open from one to the
// next, so the rollback reaches a conversation already under way.
test.describe.configure({ mode: 'serial' });

let cli;
let server;
let dir;
let context;
let buyerA;
let buyerB;

/** The runs in a usage export, as [widget, version that ran, outcome]. */
async function runs(buyer) {
  const events = await usageCloudEvents(server.url, buyer.secretKey);
  return events
    .filter((event) => event.type === 'dev.sitekit.run.completed')
    .map((event) => [event.widgetid, event.data.agentVersion, event.data.outcome]);
}

/** The buyer's visitor asks `QUESTION`, and sees it sent. */
async function ask(buyer) {
  await buyer.widget.ask(QUESTION);
  await expect(buyer.widget.userMessages.last()).toHaveText(QUESTION);
}

test.beforeAll(async ({ browser }) => {
  const bin = requireEnv('SITEKIT_BIN', HINT);
  const langflowUrl = requireEnv('SITEKIT_TEST_LANGFLOW_URL', HINT);
  const langflowKey = requireEnv('SITEKIT_TEST_LANGFLOW_KEY', HINT);
  dir = tempDir();
  const databaseUrl = `sqlite://${dir.path}/sitekit.db`;
  cli = (args, env) => sitekitJson(bin, databaseUrl, args, env);
  server = await startServer(bin, databaseUrl, requireEnv('SITEKIT_ASSETS_DIR', HINT));

  const seller = cli(['tenants', 'create', '--name', 'Agent Works', '--role', 'seller']);
  const agent = cli(['catalog', 'create', '--tenant', seller.id, '--name', 'FAQ agent']);
  const v1 = cli(
    [
      'catalog',
      'publish',
      agent.id,
      '--base-url',
      langflowUrl,
      '--flow-id',
      await langflowFlowId(langflowUrl, langflowKey, 'sitekit_faq.py'),
      '--release-notes',
      'Answers from the Site Kit FAQ.',
    ],
    { SITEKIT_RUNTIME_KEY: langflowKey },
  );
  expect(v1.version).toBe(1);

  // Both buyers subscribe while version 1 is the only one, each with a widget
  // on a site of its own and a secret key to read its usage with.
  const subscribe = async (name, version) => {
    const tenant = cli(['tenants', 'create', '--name', name, '--role', 'buyer']);
    const subscription = cli([
      'subscriptions',
      'create',
      '--tenant',
      tenant.id,
      '--published-agent',
      agent.id,
      '--version',
      version,
    ]);
    const site = await startHostSite();
    const created = cli([
      'widgets',
      'create',
      '--subscription',
      subscription.id,
      '--origin',
      site.origin,
      '--title',
      `${name} help`,
      '--public-url',
      server.url,
    ]);
    site.setSnippet(created.snippet);
    const { key } = cli(['keys', 'create', '--tenant', tenant.id, '--kind', 'secret']);
    return { subscription, site, widgetId: created.widget.id, secretKey: key };
  };
  buyerA = await subscribe('Buyer A', '1');
  buyerB = await subscribe('Buyer B', 'latest');
  expect([buyerA.subscription, buyerB.subscription]).toMatchObject([
    { version: 1, versionPolicy: 1 },
    { version: 1, versionPolicy: 'latest' },
  ]);

  // Version 2 names only what changes, the flow: the runtime and its key are
  // the latest version's.
  const echoFlowId = await langflowFlowId(langflowUrl, langflowKey, 'echo.py');
  const v2 = cli(['catalog', 'publish', agent.id, '--flow-id', echoFlowId, '--release-notes', 'Echoes the visitor.']);
  expect(v2.version).toBe(2);

  context = await browser.newContext();
  for (const buyer of [buyerA, buyerB]) {
    const page = await context.newPage();
    buyer.widget = new ChatWidget(page);
    await page.goto(`${buyer.site.origin}/`);
    await buyer.widget.open();
  }
});

test.afterAll(async () => {
  await context?.close();
  server?.child.kill();
  for (const buyer of [buyerA, buyerB]) buyer?.site.server.close();
  dir?.remove();
});

test('the pinned buyer still runs version 1 after version 2 is out; the buyer on latest runs version 2', async () => {
  await ask(buyerA);
  await expect(buyerA.widget.assistantMessages.last()).toContainText(FAQ_START);
  await expect(buyerA.widget.assistantMessages.last()).toContainText(FAQ_END);

  await ask(buyerB);
  await expect(buyerB.widget.assistantMessages.last()).toHaveText(QUESTION);

  for (const buyer of [buyerA, buyerB]) await expect(buyer.widget.error).toHaveCount(0);
});

test("the usage records name the version that ran, and each buyer's export holds only its own widget", async () => {
  // Records are written just after a run ends.
  await expect.poll(() => runs(buyerA)).toEqual([[buyerA.widgetId, 1, 'ok']]);
  await expect.poll(() => runs(buyerB)).toEqual([[buyerB.widgetId, 2, 'ok']]);

  // Whatever else an export holds (the widget's own events, sent in batches) is
  // of the buyer's widget too.
  for (const buyer of [buyerA, buyerB]) {
    const widgets = new Set((await usageCloudEvents(server.url, buyer.secretKey)).map((event) => event.widgetid));
    expect([...widgets]).toEqual([buyer.widgetId]);
  }
  // Nor can a buyer ask for the other's widget by its id.
  await expect(usageCloudEvents(server.url, buyerB.secretKey, { widgetId: buyerA.widgetId })).rejects.toThrow(
    'answered 404',
  );
});

test("one set-version call rolls a buyer back: the open page's next chat runs version 1", async () => {
  const rolledBack = cli(['subscriptions', 'set-version', buyerB.subscription.id, '1']);
  expect(rolledBack).toMatchObject({ id: buyerB.subscription.id, version: 1, versionPolicy: 1 });

  // No reload: the visitor just asks again, and the FAQ flow answers.
  await ask(buyerB);
  await expect(buyerB.widget.assistantMessages.last()).toContainText(FAQ_START);
  await expect(buyerB.widget.assistantMessages.last()).toContainText(FAQ_END);
  await expect(buyerB.widget.userMessages).toHaveText([QUESTION, QUESTION]);
  await expect(buyerB.widget.error).toHaveCount(0);

  await expect
    .poll(() => runs(buyerB))
    .toEqual([
      [buyerB.widgetId, 2, 'ok'],
      [buyerB.widgetId, 1, 'ok'],
    ]);
  // The pinned buyer saw none of it.
  expect(await runs(buyerA)).toEqual([[buyerA.widgetId, 1, 'ok']]);
});
