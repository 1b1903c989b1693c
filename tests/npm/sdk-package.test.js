// `@sitekit/sdk` as a user gets it: packed, installed from the tarball into an
// empty project, type-checked with tsc, and chatting in Node with a real
// `sitekit serve` and, through it, a real Langflow runtime.
//
// Run through `cargo xtask test`, or with SITEKIT_BIN, SITEKIT_ASSETS_DIR,
// SITEKIT_NPM_PACKAGE_DIR, SITEKIT_TEST_LANGFLOW_URL and SITEKIT_TEST_LANGFLOW_KEY:
//   node --test npm/
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startServerWithWidgets } from '../e2e/harness.js';
import { installPackedSdk } from './packed.js';

const HINT = 'run it through `cargo xtask test`';
const SITE = 'https://shop.example.com';
// The start of the FAQ flow's answer (flows/sitekit_faq.py).
const FAQ_ANSWER_START = 'To install Site Kit embed, copy the snippet';

let installed;
let sdk;
let server;
let faqKey;
let failingKey;

before(async () => {
  installed = installPackedSdk();
  const entry = createRequire(join(installed.project, 'index.js')).resolve('@sitekit/sdk');
  sdk = await import(pathToFileURL(entry).href);

  server = await startServerWithWidgets({
    tenant: 'npm package',
    origin: SITE,
    hint: HINT,
    widgets: [
      { file: 'sitekit_faq.py', title: 'Site Kit FAQ' },
      { file: 'failing.py', title: 'Always fails' },
    ],
  });
  faqKey = server.keys['sitekit_faq.py'];
  failingKey = server.keys['failing.py'];
});

after(() => {
  server?.stop();
  installed?.dir.remove();
});

const connect = (publishableKey = faqKey, extra = {}) =>
  sdk.SiteKit.connect({
    endpoint: server.url,
    publishableKey,
    origin: SITE,
    ...extra,
  });

test('the tarball holds the built package and none of its sources', () => {
  for (const file of [
    'package.json',
    'README.md',
    'index.js',
    'index.d.ts',
    'wasm/sitekit_sdk.js',
    'wasm/sitekit_sdk_bg.wasm',
    'wasm/sitekit_sdk.d.ts',
  ]) {
    assert.ok(installed.files.includes(file), `${file} in ${installed.files}`);
  }
  assert.ok(!installed.files.some((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')), `${installed.files}`);
});

test('tsc accepts a TypeScript program using the published types and rejects misuse', () => {
  copyFileSync(new URL('./typed-example.ts', import.meta.url), join(installed.project, 'example.ts'));
  writeFileSync(
    join(installed.project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'bundler',
        strict: true,
        lib: ['ES2022', 'DOM'],
        noEmit: true,
        skipLibCheck: false,
      },
      files: ['example.ts'],
    }),
  );
  const tsc = new URL('../../node_modules/.bin/tsc', import.meta.url).pathname;
  // Throws, printing tsc's diagnostics, if the types do not resolve through the
  // package's `exports` or an `@ts-expect-error` line stops being an error.
  execFileSync(tsc, ['-p', installed.project], { stdio: 'inherit' });
});

test('a chat streams AG-UI events in order, in several text chunks', async () => {
  const kit = await connect();
  const events = [];
  for await (const event of kit.chat({ message: 'How do I install the snippet?' })) events.push(event);
  const types = events.map((event) => event.type);
  assert.equal(types[0], 'RUN_STARTED');
  assert.equal(types.at(-1), 'RUN_FINISHED');
  const deltas = events.filter((event) => event.type === 'TEXT_MESSAGE_CONTENT').map((event) => event.delta);
  assert.ok(deltas.length > 1, `streamed in chunks: ${types}`);
  assert.ok(deltas.join('').startsWith(FAQ_ANSWER_START), deltas.join(''));
  assert.match(kit.visitorId, /^vis_/);
  await kit.close();
});

test('the text iterator yields the answer and the thread keeps the exchange', async () => {
  const kit = await connect();
  let answer = '';
  for await (const delta of kit.text({ message: 'How do I install the snippet?' })) answer += delta;
  assert.ok(answer.startsWith(FAQ_ANSWER_START), answer);
  // The exchange is written when the run ends, off the stream's path.
  let thread;
  for (let tries = 0; tries < 50; tries += 1) {
    thread = await kit.thread();
    if (thread.messages.length >= 2) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(thread.threadId, kit.threadId);
  assert.deepEqual(
    thread.messages.map((message) => message.role),
    ['user', 'assistant'],
  );
  assert.equal(thread.messages[1].content, answer);
  await kit.close();
});

test('a failed run is a RUN_ERROR event, and a RunError from the text iterator', async () => {
  const kit = await connect(failingKey);
  const events = [];
  for await (const event of kit.chat({ message: 'hello' })) events.push(event);
  assert.equal(events.at(-1).type, 'RUN_ERROR');
  assert.equal(events.at(-1).code, 'runtime_error');
  await assert.rejects(
    async () => {
      for await (const delta of kit.text({ message: 'hello' })) assert.fail(`no text expected, got ${delta}`);
    },
    (error) => error instanceof sdk.RunError && error instanceof sdk.SiteKitError && error.code === 'runtime_error',
  );
  await kit.close();
});

test('refusals are Error subclasses with the server code', async () => {
  await assert.rejects(connect('skt_pub_test_not_a_real_key'), (error) => {
    assert.ok(error instanceof sdk.ApiError && error instanceof sdk.SiteKitError && error instanceof Error);
    assert.equal(error.name, 'ApiError');
    assert.equal(error.status, 401);
    assert.equal(error.code, 'invalid_key');
    return true;
  });
  await assert.rejects(
    connect(faqKey, { origin: 'https://elsewhere.example.net' }),
    (error) => error instanceof sdk.ApiError && error.status === 403 && error.code === 'origin_not_allowed',
  );
  await assert.rejects(
    sdk.SiteKit.connect({ endpoint: 'http://127.0.0.1:9', publishableKey: faqKey, origin: SITE }),
    (error) => error instanceof sdk.NetworkError && error.code === 'network',
  );
});

test('aborting the signal stops the answer with the signal’s reason', async () => {
  const kit = await connect();
  const controller = new AbortController();
  const seen = [];
  await assert.rejects(
    async () => {
      for await (const event of kit.chat({ message: 'How do I install the snippet?', signal: controller.signal })) {
        seen.push(event.type);
        if (event.type === 'TEXT_MESSAGE_CONTENT') controller.abort();
      }
    },
    (error) => error.name === 'AbortError',
  );
  assert.ok(!seen.includes('RUN_FINISHED'), `stopped before the end: ${seen}`);
  assert.equal(seen.filter((type) => type === 'TEXT_MESSAGE_CONTENT').length, 1, `${seen}`);
  await kit.close();
});

test('tracked events reach the server once', async () => {
  const kit = await connect();
  const id = kit.track('pricing_viewed', { plan: 'team' });
  assert.match(id, /^[0-9a-f]{32}$/);
  kit.feedback('run-1', 'up');
  assert.equal(kit.pendingEvents, 2);
  assert.deepEqual(await kit.flush(), { accepted: 2, duplicate: 0, rejected: 0 });
  assert.equal(kit.pendingEvents, 0);
  assert.throws(
    () => kit.track('big', { text: 'x'.repeat(10_000) }),
    (error) => error instanceof sdk.InvalidArgumentError && error.code === 'invalid_argument',
  );
  await kit.close();
});
