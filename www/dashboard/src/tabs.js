// A tab bar after the WAI-ARIA tabs pattern: arrow keys, Home and End move
// between tabs; each panel is built the first time its tab is chosen and kept,
// so a half-edited form survives a look at another tab. A view may have a
// `shown()` that runs each time its panel comes back (to reload what changed).
// `show(id)` chooses a tab from code, as a click would (a view that sends the
// user to another view's page).
import { h } from './dom.js';

/**
 * @typedef {object} View
 * @property {HTMLElement} element
 * @property {() => void} [shown]
 */
/**
 * @typedef {object} Tab
 * @property {string} id
 * @property {string} label
 * @property {() => View} view builds the panel's view, once
 */
/**
 * @typedef {object} Entry
 * @property {Tab} item
 * @property {HTMLButtonElement} tab
 * @property {HTMLElement} panel
 * @property {View | null} view
 */

/**
 * The tab bar with its panels, and `show(id)`, which chooses the tab of that
 * id (no tab has the focus after it: the shown view may give it to its page).
 * @param {Tab[]} items
 */
export function tabs(items) {
  const list = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Dashboard sections' });
  const panels = h('div', { class: 'panels' });
  const entries = items.map((item) => {
    const tab = h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: `tab-${item.id}`,
        'aria-controls': `panel-${item.id}`,
        'aria-selected': 'false',
        tabindex: '-1',
        testid: `tab-${item.id}`,
      },
      item.label,
    );
    const panel = h('section', {
      role: 'tabpanel',
      id: `panel-${item.id}`,
      'aria-labelledby': `tab-${item.id}`,
      tabindex: '0',
      hidden: true,
    });
    list.append(tab);
    panels.append(panel);
    return /** @type {Entry} */ ({ item, tab, panel, view: null });
  });

  /**
   * @param {Entry} entry
   * @param {{ focus?: boolean }} [options]
   */
  function select(entry, { focus = false } = {}) {
    for (const other of entries) {
      const selected = other === entry;
      other.tab.setAttribute('aria-selected', String(selected));
      other.tab.tabIndex = selected ? 0 : -1;
      other.panel.hidden = !selected;
    }
    if (focus) entry.tab.focus();
    if (!entry.view) {
      entry.view = entry.item.view();
      entry.panel.append(entry.view.element);
    } else if (entry.view.shown) {
      entry.view.shown();
    }
  }

  entries.forEach((entry, index) => {
    entry.tab.addEventListener('click', () => select(entry));
    entry.tab.addEventListener('keydown', (event) => {
      const last = entries.length - 1;
      const to = /** @type {Record<string, number | undefined>} */ ({
        ArrowRight: index === last ? 0 : index + 1,
        ArrowLeft: index === 0 ? last : index - 1,
        Home: 0,
        End: last,
      })[event.key];
      if (to === undefined) return;
      event.preventDefault();
      select(entries[to], { focus: true });
    });
  });
  select(entries[0]);
  return {
    element: h('div', { class: 'tabbed' }, list, panels),
    /** @param {string} id */
    show(id) {
      const entry = entries.find((candidate) => candidate.item.id === id);
      if (entry) select(entry);
    },
  };
}
