// One per-day bar chart (uPlot, on a canvas) of one or more series, grouped
// side by side on each day, on one count scale from 0, or each series on a
// fixed scale of its own (a per cent and a 1 to 5 mean, an axis each side).
// Hidden from assistive technology: the table beside it holds the same
// numbers. The usage tab and the seller tab both draw theirs with it.
import uPlot from 'uplot';
import { h } from '../dom.js';

/**
 * Series colours with enough contrast on light and dark backgrounds; a chart of
 * more series than this uses them again (its legend names each).
 */
const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#8b5cf6', '#0891b2'];
const HEIGHT = 220;
/** Whole-number steps for the count axis: 1, 2, 5, 10, 20, 50, … */
const COUNT_STEPS = Array.from({ length: 30 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3));
const DAY_S = 86_400;
const HALF_DAY_S = DAY_S / 2;
/** A day's bars together fill this much of the day: the rest is the gap between days. */
const GROUP_OF_DAY = 0.8;
/** The widest a bar gets, in CSS pixels (a range of few days would make them huge). */
const MAX_BAR_PX = 48;

/**
 * How series `index` of `count` draws its bars. One series: centred on its day.
 * More: side by side, the group centred on the day, each bar `GROUP_OF_DAY /
 * count` of a day wide, and no wider than `MAX_BAR_PX`.
 * @param {number} index
 * @param {number} count
 * @returns {uPlot.Series.PathBuilder}
 */
function bars(index, count) {
  // Always there in uPlot's own build; its types allow a build without.
  const paths = /** @type {NonNullable<typeof uPlot.paths.bars>} */ (uPlot.paths.bars);
  if (count === 1) return paths({ size: [0.7, MAX_BAR_PX], align: 0 });
  /**
   * A bar's width in seconds (the x scale's unit) at the chart's size now.
   * @param {uPlot} u
   */
  const width = (u) => {
    const secondsPerPx = u.posToVal(1, 'x') - u.posToVal(0, 'x');
    return Math.min((GROUP_OF_DAY * DAY_S) / count, MAX_BAR_PX * secondsPerPx);
  };
  return paths({
    disp: {
      // Where each bar starts and how wide it is, in the x scale's unit (seconds).
      x0: {
        unit: 1,
        values: (u) => {
          const bar = width(u);
          return Array.from(u.data[0], (day) => day - (count * bar) / 2 + index * bar);
        },
      },
      size: { unit: 1, values: (u) => [width(u)] },
    },
  });
}

/**
 * A y scale of its own for a series, from `min` to `max`, instead of the
 * shared count scale. The first scale's axis is on the left, the second's on
 * the right.
 * @typedef {object} FixedScale
 * @property {string} key names the scale (series of the same key share it)
 * @property {string} label the axis's name
 * @property {number} min
 * @property {number} max
 * @property {number[]} steps the spacings of ticks to choose from
 * @property {(value: number) => string} format a tick's label
 */

/**
 * One scale per key, in the order of first use.
 * @param {FixedScale[]} scales
 */
function distinct(scales) {
  return [...new Map(scales.map((scale) => [scale.key, scale])).values()];
}

/**
 * A chart of the series named `labels`. `update` draws new numbers, and may
 * rename the series (the seller tab's versions change with the range).
 * `scales`, when given, has one fixed scale per series; a number that is null
 * draws no bar.
 * @param {string[]} labels the series' names
 * @param {{ scales?: FixedScale[] }} [options]
 */
export function dailyChart(labels, { scales = [] } = {}) {
  const element = h('div', { class: 'chart', 'aria-hidden': 'true' });
  /** @type {uPlot | null} */
  let plot = null;
  let names = labels;
  const size = () => ({ width: Math.max(element.clientWidth, 240), height: HEIGHT });
  const resized = new ResizeObserver(() => {
    if (plot && element.clientWidth > 0) plot.setSize(size());
  });

  /** @returns {uPlot.Options} */
  function options() {
    const ink = getComputedStyle(element).color;
    const grid = { stroke: 'rgba(128,128,128,.25)', width: 1 };
    return {
      ...size(),
      // The API's days are UTC days: label them so, whatever the browser's zone.
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
      // Swatches and names only: the numbers are in the table.
      legend: { show: names.length > 1, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        // Half a day beyond the first and last days, from the data: uPlot widens
        // a time scale of one value by a thousand days (86400 / its 1e-3 `ms`).
        x: {
          time: true,
          range: (u, min, max) => {
            const days = u.data[0];
            return days.length === 0 ? [min, max] : [days[0] - HALF_DAY_S, days[days.length - 1] + HALF_DAY_S];
          },
        },
        ...yScales(),
      },
      axes: [{ stroke: ink, grid, ticks: grid }, ...yAxes(ink, grid)],
      series: [
        { label: 'Day' },
        ...names.map((label, index) => ({
          label,
          scale: scales[index]?.key ?? 'y',
          stroke: PALETTE[index % PALETTE.length],
          fill: PALETTE[index % PALETTE.length],
          width: 0,
          points: { show: false },
          paths: bars(index, names.length),
        })),
      ],
    };
  }

  /** @returns {Record<string, uPlot.Scale>} */
  function yScales() {
    if (scales.length === 0) return { y: { range: (_, __, max) => [0, Math.max(1, Math.ceil(max * 1.15))] } };
    return Object.fromEntries(distinct(scales).map(({ key, min, max }) => [key, { range: [min, max] }]));
  }

  /**
   * @param {string} ink
   * @param {{ stroke: string, width: number }} grid
   * @returns {uPlot.Axis[]}
   */
  function yAxes(ink, grid) {
    if (scales.length === 0) {
      return [
        {
          stroke: ink,
          grid,
          ticks: grid,
          incrs: COUNT_STEPS,
          values: (_, ticks) => ticks.map((n) => n.toLocaleString()),
        },
      ];
    }
    return distinct(scales).map(({ key, label, steps, format }, index) => ({
      scale: key,
      label,
      // Left, then right; the grid follows the left axis only.
      side: index === 0 ? 3 : 1,
      stroke: ink,
      grid: index === 0 ? grid : { show: false },
      ticks: grid,
      incrs: steps,
      values: (_, ticks) => ticks.map(format),
    }));
  }

  return {
    element,
    /**
     * `dates` (`YYYY-MM-DD`) and one array of numbers per series; `newLabels`
     * renames the series (and may change how many there are).
     * @param {string[]} dates
     * @param {(number | null)[][]} columns
     * @param {string[]} [newLabels]
     */
    update(dates, columns, newLabels = names) {
      /** @type {uPlot.AlignedData} */
      const data = [dates.map((date) => Date.parse(`${date}T00:00:00Z`) / 1000), ...columns];
      const renamed = newLabels.length !== names.length || newLabels.some((label, index) => label !== names[index]);
      if (plot && !renamed) {
        plot.setData(data);
        return;
      }
      plot?.destroy();
      names = newLabels;
      plot = new uPlot(options(), data, element);
      resized.observe(element);
    },
  };
}
