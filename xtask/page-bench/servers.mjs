// The two local web servers around the embeds under test:
//
// - the host site (http://localhost:<port>): the same simple page for every
//   embed, with that embed's snippet at the end of <body>;
// - a stand-in CDN (http://127.0.0.1:<port>) for the compared npm bundles, as
//   jsDelivr serves them (brotli, CORS, cached for a year), plus stub answers
//   where those embeds expect their own back end.
//
// Host and CDN are different sites (localhost vs 127.0.0.1), like a shop and a
// CDN, so the browser treats every embed's requests as cross-site.

import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants as zlib } from 'node:zlib';

import { SNIPPET_MARKER } from './embeds.mjs';

/** Serves `pages` (path → HTML) on localhost:`port`. */
export function hostSite(port, template, pages) {
  const server = createServer((request, response) => {
    const path = new URL(request.url, 'http://localhost').pathname;
    const snippet = pages[path];
    if (snippet === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    // Revalidated on every view, like most HTML; identical for every embed.
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' })
      .end(template.replace(SNIPPET_MARKER, snippet));
  });
  return listen(server, port, 'localhost');
}

/**
 * The stand-in CDN: `files` (URL path → file on disk) compressed once with
 * brotli at quality 11 (what jsDelivr sends a browser that accepts it), and
 * `stubs` (URL path prefix → handler) for API calls.
 */
export function cdn(port, files, stubs) {
  const bodies = new Map(
    Object.entries(files).map(([path, file]) => {
      const raw = readFileSync(file);
      const brotli = brotliCompressSync(raw, {
        params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length },
      });
      return [path, { raw, brotli }];
    }),
  );
  const server = createServer((request, response) => {
    const path = new URL(request.url, 'http://127.0.0.1').pathname;
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': '*',
      'access-control-allow-methods': 'GET, POST, OPTIONS',
    };
    const file = bodies.get(path);
    if (file) {
      const brotli = /\bbr\b/.test(request.headers['accept-encoding'] ?? '');
      response.writeHead(200, {
        ...cors,
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=31536000, immutable',
        vary: 'Accept-Encoding',
        ...(brotli ? { 'content-encoding': 'br' } : {}),
      });
      response.end(brotli ? file.brotli : file.raw);
      return;
    }
    if (request.method === 'OPTIONS') {
      response.writeHead(204, { ...cors, 'access-control-max-age': '86400' }).end();
      return;
    }
    const stub = Object.entries(stubs).find(([prefix]) => path.startsWith(prefix));
    if (!stub) {
      response.writeHead(404, { ...cors, 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const [status, body] = stub[1](request.method, path.slice(stub[0].length));
    response
      .writeHead(status, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify(body));
  });
  return listen(server, port, '127.0.0.1');
}

function listen(server, port, host) {
  // Browsers keep connections open; close() must not wait for them.
  server.keepAliveTimeout = 1000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () =>
      resolve(() => {
        server.closeAllConnections();
        return new Promise((done) => server.close(done));
      }),
    );
  });
}
