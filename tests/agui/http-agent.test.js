// The official AG-UI client (`@ag-ui/client`'s HttpAgent) against a real
// `sitekit serve` and a real Langflow runtime: proof that `POST /v1/chat` is
// AG-UI as other clients understand it, not only as our own SDK does.
//
// Run through `cargo xtask test`, or with SITEKIT_BIN, SITEKIT_ASSETS_DIR,
// SITEKIT_TEST_LANGFLOW_URL and SITEKIT_TEST_LANGFLOW_KEY set:
//   node --test agui/
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpAgent } from '@ag-ui/client';
import { startServerWithWidgets } from '../e2e/harness.js';

const HINT = 'run it through `cargo xtask test`';
// A page origin the widgets allow; Node's fetch sends it as a browser would.
const SITE = 'https://shop.example.com';
const QUESTION = 'How do I install the snippet?';
// The start of the FAQ flow's answer to QUESTION (flows/sitekit_faq.py).
const FAQ_ANSWER_START = 'To install Site Kit embed, copy the snippet';

let server;
let faqKey;
let failingKey;

before(async () => {
  server = await startServerWithWidgets({
    tenant: 'AG-UI client',
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

after(() => server?.stop());

/** The session step a browser's SDK takes: publishable key + Origin → token. */
async function sessionToken(publishableKey) {
  const response = await fetch(`${server.url}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: SITE },
    body: JSON.stringify({ publishableKey }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).token;
}

async function httpAgent(publishableKey, config) {
  const token = await sessionToken(publishableKey);
  return new HttpAgent({
    url: `${server.url}/v1/chat`,
    headers: { Authorization: `Bearer ${token}`, Origin: SITE },
    ...config,
  });
}

/** The answer to `text` as plain fetch and SSE parsing see it, on a thread of its own. */
async function answerByFetch(text) {
  const token = await sessionToken(faqKey);
  const response = await fetch(`${server.url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, origin: SITE },
    body: JSON.stringify({
      threadId: 'fetch-thread',
      runId: 'fetch-run',
      messages: [{ id: 'm1', role: 'user', content: text }],
    }),
  });
  assert.equal(response.status, 200);
  const events = (await response.text())
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice('data: '.length)));
  assert.equal(events.at(-1).type, 'RUN_FINISHED');
  return events
    .filter((event) => event.type === 'TEXT_MESSAGE_CONTENT')
    .map((event) => event.delta)
    .join('');
}

test('HttpAgent runs the widget agent and gets the FAQ answer as an assistant message', async () => {
  const expected = await answerByFetch(QUESTION);
  assert.ok(expected.startsWith(FAQ_ANSWER_START), expected);

  const agent = await httpAgent(faqKey, {
    threadId: 'agui-thread',
    initialMessages: [{ id: 'u1', role: 'user', content: QUESTION }],
  });
  const seen = [];
  const { newMessages } = await agent.runAgent(
    { runId: 'agui-run-1' },
    {
      onEvent: ({ event }) => {
        seen.push(event);
      },
    },
  );

  const types = seen.map((event) => event.type);
  assert.deepEqual(types.slice(0, 2), ['RUN_STARTED', 'TEXT_MESSAGE_START']);
  assert.deepEqual(types.slice(-2), ['TEXT_MESSAGE_END', 'RUN_FINISHED']);
  assert.ok(types.filter((type) => type === 'TEXT_MESSAGE_CONTENT').length > 1, types.join());
  assert.deepEqual(
    [seen[0].threadId, seen[0].runId, seen.at(-1).threadId, seen.at(-1).runId],
    ['agui-thread', 'agui-run-1', 'agui-thread', 'agui-run-1'],
  );

  assert.equal(newMessages.length, 1);
  assert.equal(newMessages[0].role, 'assistant');
  assert.equal(newMessages[0].content, expected);
  assert.deepEqual(
    agent.messages.map((message) => message.role),
    ['user', 'assistant'],
  );
});

test('HttpAgent continues a thread: its whole conversation is accepted and the newest question answered', async () => {
  const agent = await httpAgent(faqKey, {
    threadId: 'agui-thread-2',
    initialMessages: [{ id: 'u1', role: 'user', content: 'What are allowed origins?' }],
  });
  await agent.runAgent({ runId: 'agui-run-2a' });
  agent.addMessage({ id: 'u2', role: 'user', content: QUESTION });
  const { newMessages } = await agent.runAgent({ runId: 'agui-run-2b' });

  assert.equal(newMessages.length, 1);
  assert.ok(newMessages[0].content.startsWith(FAQ_ANSWER_START), newMessages[0].content);
  assert.deepEqual(
    agent.messages.map((message) => message.role),
    ['user', 'assistant', 'user', 'assistant'],
  );
});

test('a failing flow reaches HttpAgent as one RUN_ERROR with a stable code', async () => {
  const agent = await httpAgent(failingKey, {
    initialMessages: [{ id: 'u1', role: 'user', content: 'hello' }],
  });
  const seen = [];
  const { newMessages } = await agent.runAgent(
    {},
    {
      onEvent: ({ event }) => {
        seen.push(event);
      },
    },
  );
  assert.deepEqual(
    seen.map((event) => event.type),
    ['RUN_STARTED', 'RUN_ERROR'],
  );
  assert.equal(seen[1].code, 'runtime_error');
  assert.doesNotMatch(seen[1].message, /Simulated failure|hello/);
  assert.deepEqual(newMessages, []);
});
