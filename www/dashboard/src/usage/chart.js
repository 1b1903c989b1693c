// One per-day bar chart (uPlot, on a canvas) of one or more series. Hidden from
// assistive technology: the table beside it holds the same numbers.
import uPlot from 'uplot';
import { h } from '../dom.js';

/** Series colours with enough contrast on light and dark backgrounds. */
const PALETTE = ['#2563eb', '#d97706'];
const HEIGHT = 220;
/** Whole-number steps for the count axis: 1, 2, 5, 10, 20, 50, … */
const COUNT_STEPS = Array.from({ length: 30 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3));
const HALF_DAY_S = 43_200;

/** @param {string[]} labels the series' names */
export function dailyChart(labels) {
  const element = h('div', { class: 'chart', 'aria-hidden': 'true' });
  /** @type {uPlot | null} */
  let plot = null;
  const size = () => ({ width: Math.max(element.clientWidth, 240), height: HEIGHT });
  const resized = new ResizeObserver(() => {
    if (plot && element.clientWidth > 0) plot.setSize(size());
  });

  /** @returns {uPlot.Options} */
  function options() {
    const ink = getComputedStyle(element).color;
    const grid = { stroke: 'rgba(128,128,128,.25)', width: 1 };
    const grouped = labels.length > 1;
    return {
      ...size(),
      // The API's days are UTC days: label them so, whatever the browser's zone.
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
      // Swatches and names only: the numbers are in the table.
      legend: { show: grouped, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: (_, min, max) => [min - HALF_DAY_S, max + HALF_DAY_S] },
        y: { range: (_, __, max) => [0, Math.max(1, Math.ceil(max * 1.15))] },
      },
      axes: [
        { stroke: ink, grid, ticks: grid },
        {
          stroke: ink,
          grid,
          ticks: grid,
          incrs: COUNT_STEPS,
          values: (_, ticks) => ticks.map((n) => n.toLocaleString()),
        },
      ],
      series: [
        { label: 'Day' },
        ...labels.map((label, index) => ({
          label,
          stroke: PALETTE[index],
          fill: PALETTE[index],
          width: 0,
          points: { show: false },
          // Side by side when there are two series, centred when one.
          // Always there in uPlot's own build; its types allow a build without.
          paths: /** @type {NonNullable<typeof uPlot.paths.bars>} */ (uPlot.paths.bars)({
            size: [grouped ? 0.4 : 0.7, 48],
            align: grouped ? (index === 0 ? -1 : 1) : 0,
          }),
        })),
      ],
    };
  }

  return {
    element,
    /**
     * `dates` (`YYYY-MM-DD`) and one array of numbers per series.
     * @param {string[]} dates
     * @param {number[][]} columns
     */
    update(dates, columns) {
      /** @type {uPlot.AlignedData} */
      const data = [dates.map((date) => Date.parse(`${date}T00:00:00Z`) / 1000), ...columns];
      if (plot) {
        plot.setData(data);
        return;
      }
      plot = new uPlot(options(), data, element);
      resized.observe(element);
    },
  };
}
