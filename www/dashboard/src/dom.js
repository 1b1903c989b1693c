// Builds DOM nodes from plain data. There is no innerHTML anywhere in the
// dashboard, so nothing the API returns (a widget's title, an error message) is
// ever parsed as markup.

/**
 * What `h` and `replace` take as children: nodes, text, and arrays of them
 * (nested; JSDoc has no recursive types, and two levels are all the views use);
 * `null`, `undefined` and `false` are left out.
 * @typedef {Node | string | null | undefined | false} Leaf
 * @typedef {Leaf | (Leaf | Leaf[])[]} Child
 */

/**
 * `h('button', { type: 'button', onclick, testid: 'save' }, 'Save')`: properties
 * `on…` add listeners, `testid` sets `data-testid`, `value`/`checked` set the
 * live property; `undefined`, `null` and `false` leave an attribute out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'testid') element.dataset.testid = value;
    else if (name === 'class') element.className = value;
    else if (name === 'value' || name === 'checked') /** @type {any} */ (element)[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(
    .../** @type {(Node | string)[]} */ (
      children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false)
    ),
  );
  return element;
}

/**
 * Replaces everything in `element` with `children`.
 * @param {Element} element
 * @param {...Child} children
 */
export function replace(element, ...children) {
  element.replaceChildren(
    .../** @type {(Node | string)[]} */ (
      children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false)
    ),
  );
}

let ids = 0;
/**
 * A unique id for tying a label or description to its control.
 * @param {string} prefix
 */
export function uniqueId(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

/**
 * Says `message` to screen readers through the page's polite live region.
 * @param {string} message
 */
export function announce(message) {
  const region = document.getElementById('announcer');
  if (!region) return;
  // Cleared first, so the same words said twice are heard twice.
  region.textContent = '';
  requestAnimationFrame(() => {
    region.textContent = message;
  });
}

/**
 * An alert for an error the user can act on. It stays in the page, empty (and
 * so taking no room) until it has something to say: a live region that appears
 * together with its text is not reliably read out.
 */
/**
 * @param {string} testid
 */
export function errorBox(testid) {
  const box = h('p', { class: 'error', role: 'alert', testid });
  return {
    element: box,
    /** @param {string} message */
    show(message) {
      box.textContent = message;
    },
    clear() {
      box.textContent = '';
    },
  };
}
