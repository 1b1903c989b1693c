// A <select> of the organisation's widgets with "All widgets" first, for the
// views that filter by widget (usage, conversations); the choice is kept when
// the list is loaded again.
import { h, replace } from '../dom.js';

/**
 * Fills `select` with the widgets; a caller without `widgets:read` keeps "All widgets" only.
 * @param {import('../api.js').AdminApi} api
 * @param {HTMLSelectElement} select
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
  } catch {
    // Without widgets:read, what is shown covers all widgets.
  }
}
