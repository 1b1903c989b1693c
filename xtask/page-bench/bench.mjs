// Site Kit's widget on a host page next to flowise-embed and @typebot.io/js,
// in headless Chromium. `cargo xtask bench` runs this after starting a release
// `sitekit serve` and seeding a widget allowed on the host page's origin; it
// parses the JSON printed on stdout. Progress goes to stderr.
//
// To run it alone (from the repo root), start a server and seed a widget whose
// allowed origin is http://localhost:<host port>, then:
//
//   node xtask/page-bench/bench.mjs --snippet '<script async src=… data-key=…></script>' \
//     --host-port 18788 --cdn-port 18789 [--runs 7]
//
// The server needs a raised per-IP limit (`--requests-per-ip-per-minute`): every
// page view asks it for the widget's config from 127.0.0.1.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

import { embeds, stubs } from './embeds.mjs';
import { loadRun, openRun } from './runs.mjs';
import { cdn, hostSite } from './servers.mjs';

const { values: options } = parseArgs({
  options: {
    snippet: { type: 'string' },
    'host-port': { type: 'string' },
    'cdn-port': { type: 'string' },
    runs: { type: 'string', default: '7' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH || '/usr/bin/chromium' },
  },
});
for (const required of ['snippet', 'host-port', 'cdn-port']) {
  if (!options[required]) throw new Error(`--${required} is required (see the top of ${import.meta.url})`);
}
const runs = Number(options.runs);
const hostUrl = `http://localhost:${options['host-port']}`;
const cdnUrl = `http://127.0.0.1:${options['cdn-port']}`;

// Chromium's flags as in tests/playwright.config.js; every host name but our
// two fails at once, so nothing waits on the internet (Typebot's default theme
// asks fonts.bunny.net for a font).
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

const variants = embeds(cdnUrl, options.snippet);
const names = Object.keys(variants);
const embedNames = names.filter((name) => variants[name].launcher);
const pages = Object.fromEntries(names.map((name) => [`/${name}.html`, variants[name].snippet]));
const template = readFileSync(new URL('host.html', import.meta.url), 'utf8');
const files = Object.assign({}, ...names.map((name) => variants[name].files ?? {}));

const log = (line) => process.stderr.write(`${line}\n`);
const closeHost = await hostSite(Number(options['host-port']), template, pages);
const closeCdn = await cdn(Number(options['cdn-port']), files, stubs);
let browser;
const results = Object.fromEntries(names.map((name) => [name, { loads: [], opens: [] }]));
try {
  browser = await chromium
    .launch({ executablePath: options.chromium, args: CHROMIUM_ARGS })
    .catch((error) => {
      throw new Error(`could not start Chromium at ${options.chromium}: ${error.message.split('\n')[0]}`);
    });
  // Round 0 warms the OS's and the servers' caches and is not kept. Each round
  // measures every variant once, starting one further along each time, so
  // background load and drift spread over all of them alike.
  for (let round = 0; round <= runs; round++) {
    const measured = round > 0;
    log(`page bench: round ${round}/${runs}${measured ? '' : ' (warm-up, not counted)'}`);
    for (const name of rotate(names, round)) {
      const load = await loadRun(browser, `${hostUrl}/${name}.html`, variants[name]);
      if (measured) results[name].loads.push(load);
    }
    for (const name of rotate(embedNames, round)) {
      const open = await openRun(browser, `${hostUrl}/${name}.html`, variants[name]);
      if (measured) results[name].opens.push(open);
    }
  }
  const report = {
    chromium: browser.version(),
    runs,
    hostOrigin: hostUrl,
    cdnOrigin: cdnUrl,
    embeds: Object.fromEntries(
      names.map((name) => [name, { label: variants[name].label, version: variants[name].version, ...results[name] }]),
    ),
  };
  process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
} finally {
  await browser?.close();
  await closeHost();
  await closeCdn();
}

function rotate(list, by) {
  const at = by % list.length;
  return [...list.slice(at), ...list.slice(0, at)];
}
