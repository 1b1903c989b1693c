// A <select> of the organisation's widgets with "All widgets" first, for the
// views that filter by widget (usage, conversations, leads); the choice is
// kept when the list is loaded again.
import { h, replace } from '../dom.js';

/**
 * Fills `select` with the widgets, and gives them (for naming a widget by its
 * id); a caller without `widgets:read` keeps "All widgets" only, and gets none.
 * @param {import('../api.js').AdminApi} api
 * @param {HTMLSelectElement} select
 * @returns {Promise<import('../api.js').Widget[]>}
 */
export async function loadWidgetChoice(api, select) {
  try {
    const widgets = await api.widgets();
    const chosen = select.value;
    replace(
      select,
      h('option', { value: '' }, 'All widgets'),
      widgets.map((w) => h('option', { value: w.id, selected: w.id === chosen }, `${w.title} (${w.id})`)),
    );
    return widgets;
  } catch {
    // Without widgets:read, what is shown covers all widgets.
    return [];
  }
}
