// People sign in to the dashboard through a real OpenID Connect provider
// (`oidc-provider`, on its own login page) and work by their role: a viewer
// reads usage and has no way to make a key (nor does the API let them), an
// admin makes one, an owner invites a person who follows the link, signs in
// and appears among the members; a buyer whom the provider's claim names in
// the organisation lands there with no invitation; a person who is no
// member is told so on the sign-in page; a person of two organisations
// switches between them. The session is an HttpOnly, Secure,
// SameSite=Strict cookie; no token is left in storage or in a URL; sign-out
// ends the sign-in at the provider too. The sign-in and members pages pass
// axe-core.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { expect, test } from '@playwright/test';
import { Dashboard } from './dashboard.page.js';
import { createLangflowWidget, langflowFlowId, requireEnv, sitekitJson, startServer, tempDir } from './harness.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const HINT = 'run the end-to-end tests with `cargo xtask test`';
const CLIENT_ID = 'sitekit-dashboard';
const CLIENT_SECRET = 'the-e2e-dashboard-client-secret';
// The organisation's id in the marketplace, which the provider's
// `waldur.organisations` claim names it by.
const EXTERNAL_ID = 'waldur:customer:e2e';
const PEOPLE = {
  alice: { email: 'alice@buyer.example', name: 'Alice Owner' },
  adam: { email: 'adam@buyer.example', name: 'Adam Admin' },
  victor: { email: 'victor@buyer.example', name: 'Victor Viewer' },
  nina: { email: 'nina@buyer.example', name: 'Nina New' },
  nora: { email: 'nora@elsewhere.example', name: 'Nora Nobody' },
  bea: {
    email: 'bea@buyer.example',
    name: 'Bea Buyer',
    claims: { waldur: { organisations: [{ id: EXTERNAL_ID, role: 'admin' }] } },
  },
};

/** A free port on loopback, for the provider the server must know before it starts. */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `tests/oidc/provider.js` on `port`, its client coming back to `serverUrl`. */
async function startProvider(port, serverUrl) {
  const child = spawn('node', [new URL('../oidc/provider.js', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: {
      ...process.env,
      OIDC_PORT: String(port),
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_REDIRECT_URI: `${serverUrl}/v1/auth/callback`,
      OIDC_POST_LOGOUT_REDIRECT_URI: `${serverUrl}/dashboard`,
      OIDC_USERS: JSON.stringify(PEOPLE),
    },
  });
  const issuer = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the OIDC provider exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve(line.replace(/^ready /, '')));
  });
  return { child, issuer };
}

let server;
let provider;
let dir;
let databaseUrl;

test.beforeAll(async () => {
  const bin = requireEnv('SITEKIT_BIN', HINT);
  dir = tempDir();
  databaseUrl = `sqlite://${dir.path}/sitekit.db`;
  const port = await freePort();
  server = await startServer(
    bin,
    databaseUrl,
    requireEnv('SITEKIT_ASSETS_DIR', HINT),
    [
      '--oidc-issuer',
      `http://127.0.0.1:${port}`,
      '--oidc-client-id',
      CLIENT_ID,
      '--oidc-organisations-claim',
      'waldur.organisations',
    ],
    { SITEKIT_OIDC_CLIENT_SECRET: CLIENT_SECRET },
  );
  provider = await startProvider(port, server.url);
  const tenant = sitekitJson(bin, databaseUrl, [
    'tenants',
    'create',
    '--name',
    'Signed-in Company',
    '--external-id',
    EXTERNAL_ID,
  ]);
  const langflowUrl = requireEnv('SITEKIT_TEST_LANGFLOW_URL', HINT);
  const langflowKey = requireEnv('SITEKIT_TEST_LANGFLOW_KEY', HINT);
  createLangflowWidget(bin, databaseUrl, {
    tenantId: tenant.id,
    name: 'FAQ agent',
    langflowUrl,
    langflowKey,
    flowId: await langflowFlowId(langflowUrl, langflowKey, 'sitekit_faq.py'),
    origin: 'https://shop.example',
    title: 'Shop help',
    publicUrl: server.url,
  });
  for (const [subject, role] of [
    ['alice', 'owner'],
    ['adam', 'admin'],
    ['victor', 'viewer'],
  ]) {
    sitekitJson(bin, databaseUrl, ['members', 'add', '--tenant', tenant.id, '--subject', subject, '--role', role]);
  }
});

test.afterAll(() => {
  provider?.child.kill();
  server?.child.kill();
  dir?.remove();
});

/** Signs `login` in from the dashboard's sign-in page, through the provider's own login form. */
async function signIn(page, login) {
  await page.goto(`${server.url}/dashboard`);
  await page.getByTestId('sign-in-sso').click();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  await expect(page.getByTestId('signed-in-as')).toHaveText(`${PEOPLE[login].name} (${roleOf(login)})`);
}

function roleOf(login) {
  return { alice: 'owner', adam: 'admin', victor: 'viewer', nina: 'admin', bea: 'admin' }[login];
}

/** axe-core's violations on the page as it is now. */
async function axeViolations(page) {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

test('a viewer signs in on the provider, reads usage, and cannot make a key', async ({ page, context }) => {
  await page.goto(`${server.url}/dashboard`);
  // Single sign-on only: no key form beside an identity provider.
  await expect(page.getByTestId('sign-in-sso')).toBeVisible();
  await expect(page.getByTestId('sign-in-key')).toHaveCount(0);
  expect(await axeViolations(page)).toEqual([]);

  await signIn(page, 'victor');
  const dashboard = new Dashboard(page);
  // Widgets to read, with no way to make or change one.
  await expect(page.getByTestId('widget-row')).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Edit Shop help' })).toHaveCount(0);
  await expect(page.getByTestId('new-widget')).toHaveCount(0);
  await dashboard.openTab('usage');
  await expect(page.getByTestId('usage-table-messages')).toBeVisible();
  // No way to make a key: no keys tab, no create button; no members either.
  await expect(dashboard.tab('keys')).toHaveCount(0);
  await expect(page.getByTestId('create-key')).toHaveCount(0);
  await expect(dashboard.tab('members')).toHaveCount(0);
  // The API refuses it too, whatever the page shows.
  const refused = await page.evaluate(async () => {
    const me = await (await fetch('v1/auth/me')).json();
    const response = await fetch('v1/keys', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
      body: JSON.stringify({ kind: 'restricted', scopes: ['usage:read'] }),
    });
    return { status: response.status, body: await response.json() };
  });
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe('missing_scope');

  // The session lives in a cookie no script reads; nothing in storage or the URL.
  const [cookie] = (await context.cookies(server.url)).filter((c) => c.name === '__Host-sitekit_session');
  expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
  expect(await page.evaluate(() => document.cookie)).not.toContain('sitekit_session');
  const stored = await page.evaluate(() => [JSON.stringify(localStorage), JSON.stringify(sessionStorage)]);
  expect(stored).toEqual(['{}', '{}']);
  expect(page.url()).toBe(`${server.url}/dashboard`);
});

test('an admin makes a key', async ({ page }) => {
  await signIn(page, 'adam');
  const dashboard = new Dashboard(page);
  await expect(page.getByRole('button', { name: 'Edit Shop help' })).toBeVisible();
  await dashboard.openTab('keys');
  await page.getByTestId('key-kind-restricted').check();
  await page.getByRole('checkbox', { name: 'usage:read' }).check();
  await page.getByTestId('create-key').click();
  await expect(dashboard.newKeyValue).toHaveValue(/^skt_rst_live_/);
  await expect(dashboard.tab('members')).toHaveCount(0);
});

test('an owner invites a person, who follows the link, signs in and appears', async ({ page, browser }) => {
  await signIn(page, 'alice');
  const dashboard = new Dashboard(page);
  await dashboard.openTab('members');
  await expect(page.getByTestId('member-row')).toHaveCount(3);
  expect(await axeViolations(page)).toEqual([]);
  await page.getByTestId('invite-email').fill('nina@buyer.example');
  await page.getByTestId('invite-role').selectOption('admin');
  await page.getByTestId('invite-submit').click();
  const link = await page.getByTestId('invitation-link').inputValue();
  expect(link).toContain('/v1/auth/login?invitation=');
  await expect(page.getByTestId('invitation-row')).toHaveCount(1);
  expect(await axeViolations(page)).toEqual([]);

  // Nina, in a browser of her own.
  const ninas = await browser.newContext();
  const nina = await ninas.newPage();
  await nina.goto(link);
  await nina.locator('input[name="login"]').fill('nina');
  await nina.locator('input[name="password"]').fill('her password');
  await nina.locator('button[type="submit"]').click();
  await expect(nina.getByTestId('signed-in-as')).toHaveText('Nina New (admin)');
  await ninas.close();

  await dashboard.openTab('widgets');
  await dashboard.openTab('members');
  await expect(page.locator('[data-testid="member-row"][data-subject="nina"]')).toBeVisible();
  await expect(page.getByTestId('no-invitations')).toBeVisible();
  // The owner reads who did what in the audit trail.
  await dashboard.openTab('audit');
  await expect(page.getByTestId('audit-row').first()).toContainText('POST /v1/invitations');
});

test('a buyer the provider names in the organisation lands there with no invitation', async ({ page, browser }) => {
  // Nobody added Bea here: the provider's claim names the organisation by the
  // marketplace's id, with her role.
  const beas = await browser.newContext();
  await signIn(await beas.newPage(), 'bea');
  await beas.close();

  await signIn(page, 'alice');
  const dashboard = new Dashboard(page);
  await dashboard.openTab('members');
  const bea = page.locator('[data-testid="member-row"][data-subject="bea"]');
  await expect(bea).toContainText('Managed by your identity provider');
  await expect(bea.getByTestId('member-role')).toHaveCount(0);
  await expect(bea.getByTestId('remove-member')).toHaveCount(0);
  expect(await axeViolations(page)).toEqual([]);
});

test('a person who is no member here is told so on the sign-in page', async ({ page }) => {
  await page.goto(`${server.url}/dashboard`);
  await page.getByTestId('sign-in-sso').click();
  await page.locator('input[name="login"]').fill('nora');
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  await expect(page.getByTestId('sign-in-reason')).toContainText('not a member of an organisation here');
  await expect(page.getByTestId('sign-in-sso')).toBeVisible();
  expect(page.url()).toBe(`${server.url}/dashboard`);
  expect(await axeViolations(page)).toEqual([]);

  // Only known reasons are shown: a link cannot put its own words on the page.
  await page.goto('about:blank');
  await page.goto(`${server.url}/dashboard#signInFailed=constructor&message=Call+us+now`);
  await expect(page.getByTestId('sign-in-reason')).toHaveText('Signing in did not work. Try again.');
});

test('a person of two organisations switches to the other and works there by that role', async ({ page }) => {
  // A sign-in lands in the person's oldest membership (to the second): this
  // one begins a second after the first.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const bin = requireEnv('SITEKIT_BIN', HINT);
  const second = sitekitJson(bin, databaseUrl, ['tenants', 'create', '--name', 'Second Shop']);
  sitekitJson(bin, databaseUrl, ['members', 'add', '--tenant', second.id, '--subject', 'alice', '--role', 'viewer']);

  await signIn(page, 'alice');
  await expect(page.getByTestId('widget-row')).toHaveCount(1);
  await page.getByLabel('Organisation').selectOption({ label: 'Second Shop (viewer)' });
  await expect(page.getByTestId('signed-in-as')).toHaveText('Alice Owner (viewer)');
  await expect(page.getByTestId('no-widgets')).toBeVisible();
  await expect(new Dashboard(page).tab('members')).toHaveCount(0);
  expect(await axeViolations(page)).toEqual([]);

  await page.getByLabel('Organisation').selectOption({ label: 'Signed-in Company (owner)' });
  await expect(page.getByTestId('signed-in-as')).toHaveText('Alice Owner (owner)');
  await expect(page.getByTestId('widget-row')).toHaveCount(1);
});

test('sign-out ends the session here and at the provider', async ({ page }) => {
  await signIn(page, 'victor');
  await page.getByTestId('sign-out').click();
  // The provider asks whether to sign out there too, then comes back.
  await page.getByRole('button', { name: /yes/i }).click();
  await expect(page.getByTestId('sign-in-sso')).toBeVisible();
  const me = await page.evaluate(async () => (await fetch('v1/auth/me')).status);
  expect(me).toBe(401);
});
