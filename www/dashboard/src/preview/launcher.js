// The launcher bubble as the loader (www/loader.js) draws it, for the preview
// frame: the same Shadow DOM host, styles, icons and test id, so the widget
// mounts next to the same button it gets on a customer's page. Keep in step
// with the loader.

const CSS =
  ':host{all:initial}' +
  '.launcher{position:fixed;bottom:16px;right:16px;z-index:2147483000;display:grid;place-items:center;' +
  'width:56px;height:56px;padding:0;border:0;border-radius:50%;cursor:pointer;color:var(--sitekit-on-primary,#fff);' +
  'background:var(--sitekit-primary,#2563eb);box-shadow:0 4px 14px rgba(0,0,0,.25)}' +
  '.launcher.left{left:16px;right:auto}' +
  '.launcher:focus-visible{outline:3px solid var(--sitekit-primary,#2563eb);outline-offset:3px}' +
  '.launcher svg{width:28px;height:28px;fill:currentColor}';

/** @type {Record<string, string>} */
const ICONS = {
  chat: 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z',
  help: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 16h-2v-2h2zm1.2-6.9c-.8.7-1.2 1.1-1.2 2.4h-2c0-2 .7-2.8 1.6-3.5.6-.5 1-.8 1-1.5a1.6 1.6 0 0 0-3.2 0H8.4a3.6 3.6 0 0 1 7.2 0c0 1.3-.7 2-1.4 2.6z',
  sparkles:
    'M10 2l2.2 5.8L18 10l-5.8 2.2L10 18l-2.2-5.8L2 10l5.8-2.2zm9 11l1 2.6 2.6 1-2.6 1L19 22l-1-2.4-2.6-1 2.6-1z',
  headset: 'M12 2a9 9 0 0 0-9 9v7a3 3 0 0 0 3 3h3v-8H5v-2a7 7 0 0 1 14 0v2h-4v8h3a3 3 0 0 0 3-3v-7a9 9 0 0 0-9-9z',
};

/**
 * The parts of a widget's config that the launcher shows.
 * @typedef {object} LauncherConfig
 * @property {string} primaryColor
 * @property {string} primaryTextColor
 * @property {string} position
 * @property {string} launcherIcon
 */

/**
 * Adds the launcher for `config` to the page; returns its shadow root and button.
 * @param {LauncherConfig} config
 */
export function showLauncher(config) {
  const host = document.createElement('div');
  host.id = 'sitekit-root';
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  root.adoptedStyleSheets = [sheet];
  host.style.setProperty('--sitekit-primary', config.primaryColor || '');
  host.style.setProperty('--sitekit-on-primary', config.primaryTextColor || '');

  const button = document.createElement('button');
  button.type = 'button';
  button.className = config.position === 'left' ? 'launcher left' : 'launcher';
  button.dataset.testid = 'sitekit-launcher';
  button.setAttribute('aria-label', 'Open chat');
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[config.launcherIcon] || ICONS.chat);
  svg.append(path);
  button.append(svg);
  root.append(button);
  document.body.append(host);
  return { root, button };
}
