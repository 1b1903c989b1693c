// Seeds a tenant, an agent on the real Langflow FAQ flow and a widget allowed on
// one host site only, then serves that snippet on an allowed and a foreign origin,
// and the admin API's auto-updating and pinned snippets on the allowed one.
import { createHash } from 'node:crypto';
import {
  createLangflowWidget, langflowFlowId, requireEnv, sitekitJson, startHostSite, startServer, tempDir,
} from './harness.js';

const HINT = 'run the end-to-end tests through `cargo xtask test`';

export default async function globalSetup() {
  const bin = requireEnv('SITEKIT_BIN', HINT);
  const assetsDir = requireEnv('SITEKIT_ASSETS_DIR', HINT);
  const langflowUrl = requireEnv('SITEKIT_TEST_LANGFLOW_URL', HINT);
  const langflowKey = requireEnv('SITEKIT_TEST_LANGFLOW_KEY', HINT);

  const faqFlowId = await langflowFlowId(langflowUrl, langflowKey, 'sitekit_faq.py');

  const dir = tempDir();
  const databaseUrl = `sqlite://${dir.path}/sitekit.db`;
  const allowed = await startHostSite();
  const foreign = await startHostSite();
  const server = await startServer(bin, databaseUrl, assetsDir);

  const tenant = sitekitJson(bin, databaseUrl, ['tenants', 'create', '--name', 'E2E Company']);
  const widget = createLangflowWidget(bin, databaseUrl, {
    tenantId: tenant.id, name: 'Site Kit FAQ', langflowUrl, langflowKey, flowId: faqFlowId,
    origin: allowed.origin, title: 'Site Kit help', publicUrl: server.url,
  });
  allowed.setSnippet(widget.snippet);
  foreign.setSnippet(widget.snippet);
  // The same agent in a widget that speaks the visitor's browser language.
  const autoLocale = createLangflowWidget(bin, databaseUrl, {
    tenantId: tenant.id, name: 'Site Kit FAQ (any language)', langflowUrl, langflowKey,
    flowId: faqFlowId, origin: allowed.origin, title: 'Site Kit help', publicUrl: server.url,
    locale: 'auto',
  });
  allowed.setSnippet(autoLocale.snippet, '/auto-locale');

  // Both snippets as the admin API hands them out, pasted as they are; and the
  // pinned one with an integrity that names other bytes, which the browser
  // must refuse to run.
  const reader = sitekitJson(bin, databaseUrl, [
    'keys', 'create', '--tenant', tenant.id, '--kind', 'restricted', '--scopes', 'widgets:read',
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

  // Workers inherit the runner's environment.
  process.env.E2E_ALLOWED_PAGE = `${allowed.origin}/`;
  process.env.E2E_FOREIGN_PAGE = `${foreign.origin}/`;
  process.env.E2E_FOREIGN_ORIGIN = foreign.origin;
  process.env.E2E_PINNED_PAGE = `${allowed.origin}/pinned`;
  process.env.E2E_PINNED_LOADER_URL = snippets.loaderUrl;
  process.env.E2E_AUTO_UPDATING_PAGE = `${allowed.origin}/auto-updating`;
  process.env.E2E_TAMPERED_PAGE = `${allowed.origin}/tampered`;
  process.env.E2E_AUTO_LOCALE_PAGE = `${allowed.origin}/auto-locale`;

  return async () => {
    server.child.kill();
    allowed.server.close();
    foreign.server.close();
    dir.remove();
  };
}
