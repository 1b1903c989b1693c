// The embeds under test: how each one goes on the host page, how to find its
// launcher and its chat input, and what its back end answers here.
//
// Selectors are [shadow host, selector inside its open shadow root]: all three
// render into a shadow root on <body>.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Where the host page template wants an embed's snippet. */
export const SNIPPET_MARKER = '<!-- EMBED SNIPPET -->';

const require = createRequire(import.meta.url);

/** An installed npm package's folder and version, or a clear error. */
export function npmPackage(name) {
  let manifest;
  try {
    manifest = require.resolve(`${name}/package.json`);
  } catch {
    throw new Error(`npm package ${name} is not installed: run \`npm ci\` at the repo root`);
  }
  return { dir: dirname(manifest), version: JSON.parse(readFileSync(manifest, 'utf8')).version };
}

/**
 * The page variants: `none` is the host page alone (the baseline the others'
 * main-thread time is compared with), then ours and the two compared embeds.
 * `cdnUrl` is the stand-in CDN, `ourSnippet` the snippet the sitekit CLI printed.
 */
export function embeds(cdnUrl, ourSnippet) {
  const flowise = npmPackage('flowise-embed');
  const typebot = npmPackage('@typebot.io/js');
  // The URLs jsDelivr would serve the same files under.
  const flowiseJs = `/npm/flowise-embed@${flowise.version}/dist/web.js`;
  const typebotJs = `/npm/@typebot.io/js@${typebot.version}/dist/web.js`;
  return {
    none: { label: 'host page alone', snippet: '' },
    ours: {
      label: 'Site Kit',
      snippet: ourSnippet,
      launcher: ['#sitekit-root', '[data-testid="sitekit-launcher"]'],
      input: ['#sitekit-root', '[data-testid="sitekit-input"]'],
    },
    flowise: {
      label: `flowise-embed ${flowise.version}`,
      version: flowise.version,
      // Flowise's documented snippet, with the bundle from our stand-in CDN.
      snippet:
        `<script type="module">import Chatbot from "${cdnUrl}${flowiseJs}";` +
        `Chatbot.init({ chatflowid: "bench", apiHost: "${cdnUrl}/flowise" });</script>`,
      launcher: ['flowise-chatbot', 'button[part="button"]'],
      input: ['flowise-chatbot', 'textarea'],
      files: { [flowiseJs]: join(flowise.dir, 'dist/web.js') },
    },
    typebot: {
      label: `@typebot.io/js ${typebot.version}`,
      version: typebot.version,
      snippet:
        `<script type="module">import Typebot from "${cdnUrl}${typebotJs}";` +
        `Typebot.initBubble({ typebot: "bench", apiHost: "${cdnUrl}/typebot" });</script>`,
      launcher: ['typebot-bubble', 'button[part="button"]'],
      input: ['typebot-bubble', 'input.text-input'],
      files: { [typebotJs]: join(typebot.dir, 'dist/web.js') },
    },
  };
}

/**
 * Stand-ins for the compared embeds' servers, keyed by URL prefix on the CDN.
 * Each answers what an empty bot of that kind would, so the embed behaves as
 * with a real server and nothing waits for an agent.
 */
export const stubs = {
  // flowise-embed reads the chatflow's streaming flag and its public chatbot
  // config when it starts; an empty config keeps its defaults (its own
  // greeting, its default colours).
  '/flowise/api/v1/': (method, path) => {
    if (path.startsWith('chatflows-streaming/')) return [200, { isStreaming: true }];
    if (path.startsWith('public-chatbotConfig/')) return [200, {}];
    return [404, { message: 'not in this stand-in' }];
  },
  // @typebot.io/js starts a chat when the bubble opens: one greeting and a text
  // input, with typing emulation off so no artificial delay is timed.
  '/typebot/api/v1/': (method, path) => {
    if (method === 'POST' && /^typebots\/[^/]+\/startChat$/.test(path)) return [200, TYPEBOT_START];
    return [404, { message: 'not in this stand-in' }];
  },
};

const TYPEBOT_START = {
  sessionId: 'bench-session',
  resultId: 'bench-result',
  typebot: {
    id: 'bench',
    version: '6',
    theme: {},
    settings: { typingEmulation: { enabled: false } },
    publishedAt: '2026-01-01T00:00:00.000Z',
  },
  messages: [
    {
      id: 'greeting',
      type: 'text',
      content: {
        type: 'richText',
        richText: [{ type: 'p', children: [{ text: 'Hi! How can I help you today?' }] }],
      },
    },
  ],
  input: {
    id: 'question',
    type: 'text input',
    options: { labels: { placeholder: 'Type your message…', button: 'Send' } },
  },
};
