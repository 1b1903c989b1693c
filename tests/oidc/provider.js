// A real OpenID Connect provider for the sign-in tests: `oidc-provider` (the
// certified Node implementation) with one confidential client, the dashboard's,
// and test people who sign in on its own login page with any password.
//
// Started by the tests with, in the environment:
//   OIDC_PORT           the port to listen on (127.0.0.1); 0 or unset: any free one
//   OIDC_CLIENT_ID      the dashboard's client id
//   OIDC_CLIENT_SECRET  its secret
//   OIDC_REDIRECT_URI   the embed server's callback, <server>/v1/auth/callback
//   OIDC_POST_LOGOUT_REDIRECT_URI  where the provider sends people after sign-out
//   OIDC_USERS          optional JSON: {"<login>": {"email", "name", "claims": {…}}}
// It prints one line, `ready <issuer>`, once it listens.
//
// Consent is granted without asking: the dashboard is the install's own
// application, as it is in a company's Keycloak. `POST /test/tamper
// {"mode": …}` makes the token endpoint hand out a hostile ID token from then
// on, so the tests can show the embed server refusing each kind;
// `POST /test/claims {"login", "claims"}` gives a person other claims from
// their next sign-in on, as an administrator changes them at the provider.

import { createHash, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

// The issuer names the port, so the socket listens before the provider is
// made: with port 0 the system picks a free one, which nobody can take between
// its choice and its use (a port chosen by the tests beforehand could be).
const server = createServer();
await new Promise((resolve) => server.listen(Number(process.env.OIDC_PORT || 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const users = JSON.parse(process.env.OIDC_USERS || '{}');

// A signing key of this run's own, so the provider never falls back to its
// published development keys.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test', alg: 'RS256', use: 'sig' };

/** The person a login names: their claims, `sub` being the login itself. */
function account(login) {
  const profile = users[login] ?? {};
  return {
    accountId: login,
    claims: () => ({
      sub: login,
      email: profile.email ?? `${login}@example.test`,
      email_verified: true,
      name: profile.name ?? login,
      ...profile.claims,
    }),
  };
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.OIDC_CLIENT_ID,
      client_secret: process.env.OIDC_CLIENT_SECRET,
      redirect_uris: [process.env.OIDC_REDIRECT_URI],
      post_logout_redirect_uris: [process.env.OIDC_POST_LOGOUT_REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingJwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    // `waldur`: organisations by the marketplace's ids, in every ID token,
    // as a Keycloak mapper adds a claim whatever the scope.
    openid: ['sub', 'waldur'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // Claims in the ID token itself, as Keycloak's default mappers put them.
  conformIdTokenClaims: false,
  findAccount: (_ctx, login) => account(login),
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  async loadExistingGrant(ctx) {
    const clientId = ctx.oidc.client.clientId;
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

// --- hostile ID tokens, on request --------------------------------------------

let tamper = 'none';

const base64url = (value) => Buffer.from(value).toString('base64url');

function signed(header, payload) {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** The ID token `token` turned into the kind of hostile one `mode` names. */
function hostile(token, mode) {
  const [headerPart, payloadPart, signaturePart] = token.split('.');
  const header = JSON.parse(Buffer.from(headerPart, 'base64url'));
  const payload = JSON.parse(Buffer.from(payloadPart, 'base64url'));
  switch (mode) {
    case 'signature': {
      // Someone else's account, with the provider's signature left as it was.
      const changed = { ...payload, sub: 'somebody-else' };
      return `${headerPart}.${base64url(JSON.stringify(changed))}.${signaturePart}`;
    }
    case 'audience':
      return signed(header, { ...payload, aud: 'another-application' });
    case 'issuer':
      return signed(header, { ...payload, iss: 'http://127.0.0.1:1/elsewhere' });
    case 'expired':
      return signed(header, { ...payload, iat: payload.iat - 7200, exp: payload.iat - 3600 });
    case 'nonce':
      return signed(header, { ...payload, nonce: createHash('sha256').update('stale').digest('hex') });
    case 'unsigned':
      return `${base64url(JSON.stringify({ alg: 'none' }))}.${payloadPart}.`;
    default:
      return token;
  }
}

/** A test request's JSON body. */
async function jsonBody(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}');
}

provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/test/tamper') {
    tamper = (await jsonBody(ctx.req)).mode ?? 'none';
    ctx.body = { mode: tamper };
    return;
  }
  if (ctx.method === 'POST' && ctx.path === '/test/claims') {
    const { login, claims } = await jsonBody(ctx.req);
    users[login] = { ...users[login], claims };
    ctx.body = { login, claims };
    return;
  }
  await next();
  if (ctx.path === '/token' && tamper !== 'none' && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: hostile(ctx.body.id_token, tamper) };
  }
});

server.on('request', provider.callback());
console.log(`ready ${issuer}`);
