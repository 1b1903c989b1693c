// Seeds a tenant, an agent on the real Langflow FAQ flow and a widget allowed on
// one host site only, then serves that snippet on an allowed and a foreign origin,
// and the admin API's auto-updating and pinned snippets on the allowed one; and
// a secret key for the site owner's dashboard.
import { createHash } from 'node:crypto';
import {
  createLangflowWidget,
  langflowFlowId,
  requireEnv,
  sitekitJson,
  startHostSite,
  startServer,
  tempDir,
} from './harness.js';

const HINT = 'run the end-to-end tests through `cargo xtask test`';

// The page's own stub, as a site that calls the API before the loader has run
// would write it, and the calls it makes right away.
const QUEUED_CALLS = `<script>
  window.SiteKit = window.SiteKit || function () { (window.SiteKit.q = window.SiteKit.q || []).push(arguments); };
  window.heard = [];
  for (const name of ['open', 'close', 'message', 'error']) {
    SiteKit('on', name, (detail) => heard.push(detail ? [name, detail.role || detail.code, detail.text || detail.message] : [name]));
  }
  SiteKit('identify', { id: 'user-42', name: 'Ada Lovelace', email: 'ada@example.com' });
  SiteKit('send', 'What are keys?');
</script>`;

// Global rules that would wreck any widget that is not isolated from the page.
const HOSTILE_CSS = `<style>
  * { all: unset !important; }
  button { display: none !important; }
  div, p, input, form, section { color: red !important; font-size: 40px !important; background: lime !important; }
</style>`;

export default async function globalSetup() {
  const bin = requireEnv('SITEKIT_BIN', HINT);
  const assetsDir = requireEnv('SITEKIT_ASSETS_DIR', HINT);
  const langflowUrl = requireEnv('SITEKIT_TEST_LANGFLOW_URL', HINT);
  const langflowKey = requireEnv('SITEKIT_TEST_LANGFLOW_KEY', HINT);

  const faqFlowId = await langflowFlowId(langflowUrl, langflowKey, 'sitekit_faq.py');
  const echoFlowId = await langflowFlowId(langflowUrl, langflowKey, 'echo.py');

  const dir = tempDir();
  const databaseUrl = `sqlite://${dir.path}/sitekit.db`;
  const allowed = await startHostSite();
  const foreign = await startHostSite();
  const server = await startServer(bin, databaseUrl, assetsDir);

  const tenant = sitekitJson(bin, databaseUrl, ['tenants', 'create', '--name', 'E2E Company']);
  const widget = createLangflowWidget(bin, databaseUrl, {
    tenantId: tenant.id,
    name: 'Site Kit FAQ',
    langflowUrl,
    langflowKey,
    flowId: faqFlowId,
    origin: allowed.origin,
    title: 'Site Kit help',
    publicUrl: server.url,
  });
  allowed.setSnippet(widget.snippet);
  foreign.setSnippet(widget.snippet);
  // The same agent in a widget that speaks the visitor's browser language.
  const autoLocale = createLangflowWidget(bin, databaseUrl, {
    tenantId: tenant.id,
    name: 'Site Kit FAQ (any language)',
    langflowUrl,
    langflowKey,
    flowId: faqFlowId,
    origin: allowed.origin,
    title: 'Site Kit help',
    publicUrl: server.url,
    locale: 'auto',
  });
  allowed.setSnippet(autoLocale.snippet, '/auto-locale');

  // Both snippets as the admin API hands them out, pasted as they are; and the
  // pinned one with an integrity that names other bytes, which the browser
  // must refuse to run.
  const reader = sitekitJson(bin, databaseUrl, [
    'keys',
    'create',
    '--tenant',
    tenant.id,
    '--kind',
    'restricted',
    '--scopes',
    'widgets:read',
  ]);
  const response = await fetch(`${server.url}/v1/widgets/${widget.widget.id}/snippet`, {
    headers: { authorization: `Bearer ${reader.key}` },
  });
  if (!response.ok) throw new Error(`GET snippet answered ${response.status}: ${await response.text()}`);
  const snippets = await response.json();
  const wrongIntegrity = `sha384-${createHash('sha384').update('not the loader').digest('base64')}`;
  const tampered = snippets.pinned.replace(snippets.integrity, wrongIntegrity);
  if (tampered === snippets.pinned) throw new Error(`no integrity in ${snippets.pinned}`);
  allowed.setSnippet(snippets.pinned, '/pinned');
  allowed.setSnippet(snippets.autoUpdating, '/auto-updating');
  allowed.setSnippet(tampered, '/tampered');

  // Host pages that test the widget's manners: calls queued before the loader
  // ran, a hostile global stylesheet, a strict Content-Security-Policy, and a
  // widget with its own launcher icon on the left.
  allowed.setSnippet(widget.snippet, '/queued', { head: QUEUED_CALLS });
  allowed.setSnippet(widget.snippet, '/hostile', { head: HOSTILE_CSS });
  const embedOrigin = new URL(server.url).origin;
  const strictCsp = {
    'content-security-policy': `default-src 'self'; script-src ${embedOrigin} 'wasm-unsafe-eval'; connect-src ${embedOrigin}`,
  };
  allowed.setSnippet(widget.snippet, '/csp', { headers: strictCsp });
  const themed = createLangflowWidget(bin, databaseUrl, {
    tenantId: tenant.id,
    name: 'Site Kit FAQ (sparkles)',
    langflowUrl,
    langflowKey,
    flowId: faqFlowId,
    origin: allowed.origin,
    title: 'Site Kit help',
    publicUrl: server.url,
    extra: ['--launcher-icon', 'sparkles', '--position', 'left'],
  });
  allowed.setSnippet(themed.snippet, '/themed');
  process.env.E2E_QUEUED_PAGE = `${allowed.origin}/queued`;
  process.env.E2E_HOSTILE_PAGE = `${allowed.origin}/hostile`;
  process.env.E2E_CSP_PAGE = `${allowed.origin}/csp`;
  process.env.E2E_THEMED_PAGE = `${allowed.origin}/themed`;

  // An agent that answers with the visitor's message (flows/echo.py), so a test
  // decides exactly what the widget renders.
  const echo = createLangflowWidget(bin, databaseUrl, {
    tenantId: tenant.id,
    name: 'Echo',
    langflowUrl,
    langflowKey,
    flowId: echoFlowId,
    origin: allowed.origin,
    title: 'Echo',
    publicUrl: server.url,
  });
  allowed.setSnippet(echo.snippet, '/echo');
  process.env.E2E_ECHO_PAGE = `${allowed.origin}/echo`;

  // The echo agent with everything a widget may ask of visitors besides chat:
  // the contact form after the first answer (on a page with the strict CSP),
  // and one whose form comes first.
  const consentText = 'I agree that E2E Company may contact me about my request.';
  const engagement = (when) =>
    JSON.stringify({
      csat: true,
      handoff: true,
      leadForm: { fields: ['name', 'email', 'message'], when, afterMessages: 1, consentText },
    });
  for (const [when, path, title] of [
    ['afterMessages', '/engaged', 'Echo with extras'],
    ['before', '/lead-first', 'Echo, contact form first'],
  ]) {
    const widget = createLangflowWidget(bin, databaseUrl, {
      tenantId: tenant.id,
      name: `Echo (${when})`,
      langflowUrl,
      langflowKey,
      flowId: echoFlowId,
      origin: allowed.origin,
      title,
      publicUrl: server.url,
      extra: ['--engagement', engagement(when), '--starter-prompt', 'What can you do?'],
    });
    allowed.setSnippet(widget.snippet, path, { headers: strictCsp });
    if (path === '/engaged') process.env.E2E_ENGAGED_WIDGET_ID = widget.widget.id;
  }
  process.env.E2E_ENGAGED_PAGE = `${allowed.origin}/engaged`;
  process.env.E2E_LEAD_FIRST_PAGE = `${allowed.origin}/lead-first`;
  process.env.E2E_CONSENT_TEXT = consentText;

  // Workers inherit the runner's environment.
  process.env.E2E_ALLOWED_PAGE = `${allowed.origin}/`;
  process.env.E2E_FOREIGN_PAGE = `${foreign.origin}/`;
  process.env.E2E_FOREIGN_ORIGIN = foreign.origin;
  process.env.E2E_PINNED_PAGE = `${allowed.origin}/pinned`;
  process.env.E2E_PINNED_LOADER_URL = snippets.loaderUrl;
  process.env.E2E_AUTO_UPDATING_PAGE = `${allowed.origin}/auto-updating`;
  process.env.E2E_TAMPERED_PAGE = `${allowed.origin}/tampered`;
  process.env.E2E_AUTO_LOCALE_PAGE = `${allowed.origin}/auto-locale`;

  // The site owner's dashboard, and a secret key of the tenant to sign in with.
  const owner = sitekitJson(bin, databaseUrl, ['keys', 'create', '--tenant', tenant.id, '--kind', 'secret']);
  process.env.E2E_DASHBOARD_URL = `${server.url}/dashboard`;
  process.env.E2E_SECRET_KEY = owner.key;

  // A seller on the marketplace and the catalog the dashboard's tenant (a buyer,
  // as tenants are by default) subscribes from: "FAQ agent", version 1 on the
  // FAQ flow and version 2 on the echo flow (which keeps the first's runtime and
  // credential); and "Legacy agent", one version, deprecated. The seller's
  // secret key lets a test withdraw an agent while the dashboard shows it.
  const seller = sitekitJson(bin, databaseUrl, ['tenants', 'create', '--name', 'Agent Makers', '--role', 'seller']);
  const catalogFaq = sitekitJson(bin, databaseUrl, ['catalog', 'create', '--tenant', seller.id, '--name', 'FAQ agent']);
  sitekitJson(
    bin,
    databaseUrl,
    [
      'catalog',
      'publish',
      catalogFaq.id,
      '--base-url',
      langflowUrl,
      '--flow-id',
      faqFlowId,
      '--release-notes',
      'Answers questions about Site Kit.',
    ],
    { SITEKIT_RUNTIME_KEY: langflowKey },
  );
  sitekitJson(bin, databaseUrl, [
    'catalog',
    'publish',
    catalogFaq.id,
    '--flow-id',
    echoFlowId,
    '--release-notes',
    'Says back what it is told.',
  ]);
  const catalogLegacy = sitekitJson(bin, databaseUrl, [
    'catalog',
    'create',
    '--tenant',
    seller.id,
    '--name',
    'Legacy agent',
  ]);
  sitekitJson(
    bin,
    databaseUrl,
    ['catalog', 'publish', catalogLegacy.id, '--base-url', langflowUrl, '--flow-id', echoFlowId],
    { SITEKIT_RUNTIME_KEY: langflowKey },
  );
  sitekitJson(bin, databaseUrl, ['catalog', 'deprecate', catalogLegacy.id]);
  const sellerKey = sitekitJson(bin, databaseUrl, ['keys', 'create', '--tenant', seller.id, '--kind', 'secret']);
  process.env.E2E_SELLER_NAME = 'Agent Makers';
  process.env.E2E_SELLER_KEY = sellerKey.key;
  process.env.E2E_CATALOG_FAQ_ID = catalogFaq.id;
  process.env.E2E_CATALOG_LEGACY_ID = catalogLegacy.id;

  // For the seller tab: a buyer of its own, whose usage of the seller's agents
  // no other test makes (so its counts are exact whatever ran before), and a
  // seller that has published nothing yet.
  const shop = sitekitJson(bin, databaseUrl, ['tenants', 'create', '--name', 'Corner Bookshop']);
  const shopKey = sitekitJson(bin, databaseUrl, ['keys', 'create', '--tenant', shop.id, '--kind', 'secret']);
  process.env.E2E_SHOP_NAME = 'Corner Bookshop';
  process.env.E2E_SHOP_ID = shop.id;
  process.env.E2E_SHOP_KEY = shopKey.key;
  const newSeller = sitekitJson(bin, databaseUrl, ['tenants', 'create', '--name', 'New Sellers', '--role', 'seller']);
  process.env.E2E_NEW_SELLER_KEY = sitekitJson(bin, databaseUrl, [
    'keys',
    'create',
    '--tenant',
    newSeller.id,
    '--kind',
    'secret',
  ]).key;

  return async () => {
    server.child.kill();
    allowed.server.close();
    foreign.server.close();
    dir.remove();
  };
}
