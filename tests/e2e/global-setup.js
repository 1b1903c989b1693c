// Seeds a tenant, an agent on the real Langflow FAQ flow and a widget allowed on
// one host site only, then serves that snippet on an allowed and a foreign origin.
import { requireEnv, sitekitJson, startHostSite, startServer, tempDir } from './harness.js';

const HINT = 'run the end-to-end tests through `cargo xtask test`';

export default async function globalSetup() {
  const bin = requireEnv('SITEKIT_BIN', HINT);
  const assetsDir = requireEnv('SITEKIT_ASSETS_DIR', HINT);
  const langflowUrl = requireEnv('SITEKIT_TEST_LANGFLOW_URL', HINT);
  const langflowKey = requireEnv('SITEKIT_TEST_LANGFLOW_KEY', HINT);

  const flows = await (await fetch(`${langflowUrl}/flows`, { headers: { 'x-api-key': langflowKey } })).json();
  const faq = flows.find((flow) => flow.relative_path.endsWith('sitekit_faq.py'));
  if (!faq) throw new Error(`Langflow does not serve sitekit_faq.py: ${JSON.stringify(flows)}`);

  const dir = tempDir();
  const databaseUrl = `sqlite://${dir.path}/sitekit.db`;
  const allowed = await startHostSite();
  const foreign = await startHostSite();
  const server = await startServer(bin, databaseUrl, assetsDir);

  const tenant = sitekitJson(bin, databaseUrl, ['tenants', 'create', '--name', 'E2E Company']);
  process.env.SITEKIT_RUNTIME_KEY = langflowKey;
  const agent = sitekitJson(bin, databaseUrl, [
    'agents', 'create', '--tenant', tenant.id, '--name', 'Site Kit FAQ',
    '--base-url', langflowUrl, '--flow-id', faq.id,
  ]);
  const widget = sitekitJson(bin, databaseUrl, [
    'widgets', 'create', '--agent', agent.id, '--origin', allowed.origin,
    '--title', 'Site Kit help', '--public-url', server.url,
  ]);
  allowed.setSnippet(widget.snippet);
  foreign.setSnippet(widget.snippet);

  // Workers inherit the runner's environment.
  process.env.E2E_ALLOWED_PAGE = `${allowed.origin}/`;
  process.env.E2E_FOREIGN_PAGE = `${foreign.origin}/`;
  process.env.E2E_FOREIGN_ORIGIN = foreign.origin;

  return async () => {
    server.child.kill();
    allowed.server.close();
    foreign.server.close();
    dir.remove();
  };
}
