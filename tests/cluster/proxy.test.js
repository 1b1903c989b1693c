// The cluster's round-robin proxy (cluster/proxy.js) in front of two tiny
// upstream servers standing in for `sitekit serve` nodes: turns, streaming,
// readiness, X-Forwarded-For and the 502 of a node that fails.
//
// Run through `cargo xtask test`, or alone: node --test cluster/
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { forwardedFor, Rotation, startProxy } from './proxy.js';

/** Checks this often in the tests, so readiness changes show quickly. */
const CHECK_EVERY_MS = 50;

const running = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()));
});

/**
 * A stand-in node named `name`: GET /readyz answers `node.readyStatus`;
 * /who answers its name and the X-Forwarded-For it got; /stream sends one
 * event, then another once the test calls `node.release()`; /echo returns the
 * request's body; /drop closes the connection without an answer.
 */
async function upstream(name) {
  let release;
  const node = {
    readyStatus: 200,
    released: new Promise((resolve) => {
      release = resolve;
    }),
    release: () => release(),
  };
  const server = http.createServer(async (request, response) => {
    switch (request.url) {
      case '/readyz':
        response.writeHead(node.readyStatus, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status: node.readyStatus === 200 ? 'ready' : 'draining' }));
        return;
      case '/who':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ name, forwardedFor: request.headers['x-forwarded-for'] }));
        return;
      case '/stream':
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: one\n\n');
        await node.released;
        response.end('data: two\n\n');
        return;
      case '/echo': {
        const chunks = [];
        for await (const chunk of request) {
          chunks.push(chunk);
        }
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end(Buffer.concat(chunks));
        return;
      }
      case '/drop':
        request.socket.destroy();
        return;
      default:
        response.writeHead(404);
        response.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  node.url = `http://127.0.0.1:${server.address().port}`;
  running.push(
    () =>
      new Promise((resolve) => {
        node.release();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return node;
}

/** A proxy in front of `nodes` on a free port, its log lines kept in `lines`. */
async function proxyFor(nodes) {
  const lines = [];
  const proxy = await startProxy({
    nodes: nodes.map((node) => node.url),
    port: 0,
    checkEveryMs: CHECK_EVERY_MS,
    log: (line) => lines.push(line),
  });
  running.unshift(proxy.close);
  return { ...proxy, lines };
}

async function who(proxy, headers = {}) {
  const response = await fetch(`${proxy.url}/who`, { headers });
  assert.equal(response.status, 200);
  return response.json();
}

/** Waits until the proxy has logged a line containing `text`. */
async function logged(proxy, text) {
  const deadline = Date.now() + 5000;
  while (!proxy.lines.some((line) => line.includes(text))) {
    assert.ok(Date.now() < deadline, `no log line with "${text}" in ${JSON.stringify(proxy.lines)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('the rotation skips nodes that are not ready and wraps around', () => {
  const rotation = new Rotation(['a', 'b', 'c']);
  assert.equal(rotation.pick(), undefined, 'no node is ready before its first check');
  for (const node of rotation.nodes) {
    node.ready = true;
  }
  rotation.nodes[1].ready = false;
  const picks = Array.from({ length: 4 }, () => rotation.pick().url);
  assert.deepEqual(picks, ['a', 'c', 'a', 'c']);
});

test('X-Forwarded-For gets the client appended', () => {
  assert.equal(forwardedFor(undefined, '127.0.0.1'), '127.0.0.1');
  assert.equal(forwardedFor('203.0.113.7', '127.0.0.1'), '203.0.113.7, 127.0.0.1');
});

test('requests take turns between the nodes', async () => {
  const proxy = await proxyFor([await upstream('a'), await upstream('b')]);
  assert.equal(proxy.lines.filter((line) => line.includes('is in the rotation')).length, 2);
  const names = [];
  for (let request = 0; request < 4; request++) {
    names.push((await who(proxy)).name);
  }
  assert.deepEqual(names, ['a', 'b', 'a', 'b']);
});

test('the client address is appended to X-Forwarded-For', async () => {
  const proxy = await proxyFor([await upstream('a')]);
  assert.equal((await who(proxy)).forwardedFor, '127.0.0.1');
  assert.equal((await who(proxy, { 'x-forwarded-for': '203.0.113.7' })).forwardedFor, '203.0.113.7, 127.0.0.1');
});

test('a streamed answer arrives chunk by chunk', { timeout: 10_000 }, async () => {
  const node = await upstream('a');
  const proxy = await proxyFor([node]);
  const response = await fetch(`${proxy.url}/stream`);
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  // The node holds its second event back until the first has come through:
  // a proxy that buffered the answer would never get here.
  const first = await reader.read();
  assert.equal(decoder.decode(first.value), 'data: one\n\n');
  node.release();
  let rest = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    rest += decoder.decode(chunk.value);
  }
  assert.equal(rest, 'data: two\n\n');
});

test('a request body reaches the node', async () => {
  const proxy = await proxyFor([await upstream('a')]);
  const body = 'x'.repeat(100_000);
  const response = await fetch(`${proxy.url}/echo`, { method: 'POST', body });
  assert.equal(await response.text(), body);
});

test('a node whose /readyz answers 503 gets no requests until it answers 200 again', async () => {
  const a = await upstream('a');
  const b = await upstream('b');
  const proxy = await proxyFor([a, b]);

  b.readyStatus = 503;
  await logged(proxy, `${b.url} left the rotation: /readyz answered 503`);
  for (let request = 0; request < 3; request++) {
    assert.equal((await who(proxy)).name, 'a');
  }

  b.readyStatus = 200;
  await logged(proxy, `${b.url} rejoined the rotation`);
  const names = new Set();
  for (let request = 0; request < 2; request++) {
    names.add((await who(proxy)).name);
  }
  assert.deepEqual([...names].sort(), ['a', 'b']);
});

test('with no node ready the proxy answers 503 itself', async () => {
  const a = await upstream('a');
  a.readyStatus = 503;
  const proxy = await proxyFor([a]);
  assert.ok(proxy.lines.some((line) => line.includes('is not in the rotation')));
  const response = await fetch(`${proxy.url}/who`);
  assert.equal(response.status, 503);
  assert.equal((await response.json()).error.code, 'unavailable');
});

test('a node that fails before answering gets the client a 502 and leaves the rotation', async () => {
  const a = await upstream('a');
  const proxy = await proxyFor([a]);
  const response = await fetch(`${proxy.url}/drop`);
  assert.equal(response.status, 502);
  assert.equal(response.headers.get('access-control-allow-origin'), '*');
  const body = await response.json();
  assert.equal(body.error.code, 'bad_gateway');
  assert.match(body.error.message, new RegExp(a.url));
  assert.ok(proxy.lines.some((line) => line.includes(`${a.url} left the rotation`)));
  // Its next check finds it ready again.
  await logged(proxy, `${a.url} rejoined the rotation`);
  assert.equal((await who(proxy)).name, 'a');
});
