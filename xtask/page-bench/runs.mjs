// One measured page view each, every one in a fresh browser context (its own
// empty HTTP cache, cookies and storage):
//
// - loadRun: the page loads and goes quiet with nothing of ours in it but a
//   long-task observer; main-thread time from a trace, long tasks, bytes;
// - openRun: the page loads with an in-page probe, the launcher is clicked
//   once the page is quiet, and the same again in a second tab of the same
//   context (HTTP cache warm): time to launcher, click to interactive, bytes.

import { mainThread, TRACE_CATEGORIES } from './trace.mjs';
import { watchNetwork } from './network.mjs';

/** Runs in the page before its own scripts: collects long tasks (> 50 ms). */
function observeLongTasks() {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.__longTasks.push({ start: entry.startTime, wall: entry.duration });
    }
  }).observe({ type: 'longtask', buffered: true });
}

/**
 * Runs in the page before its own scripts: notes, in `performance.now()`
 * milliseconds since navigation start, the first animation frame that shows
 * the launcher, the click on it, and the first frame after that with the chat
 * input visible and enabled. A frame callback sees what that frame paints;
 * checking once a frame costs the page a few microseconds.
 */
function probe({ launcher, input }) {
  const find = ([host, inside]) => document.querySelector(host)?.shadowRoot?.querySelector(inside);
  const shown = (element) => {
    if (!element) return false;
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== 'hidden';
  };
  const firstFrame = (test) =>
    new Promise((resolve) => {
      const frame = () => (test() ? resolve(performance.now()) : requestAnimationFrame(frame));
      requestAnimationFrame(frame);
    });
  // Capturing on window sees the click before the embed's own listener.
  const click = new Promise((resolve) =>
    addEventListener('click', (event) => resolve(event.timeStamp), { capture: true, once: true }),
  );
  window.__probe = {
    launcher: firstFrame(() => shown(find(launcher))),
    click,
    interactive: click.then(() =>
      firstFrame(() => {
        const field = find(input);
        return shown(field) && !field.disabled && !field.readOnly;
      }),
    ),
  };
}

/** A page view without a probe: the cost of loading the embed. */
export async function loadRun(browser, url, embed) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(observeLongTasks);
    const page = await context.newPage();
    const network = await watchNetwork(await context.newCDPSession(page));
    await browser.startTracing(page, { categories: TRACE_CATEGORIES });
    let trace;
    try {
      await page.goto(url, { waitUntil: 'load' });
      await network.quiet();
    } finally {
      trace = await browser.stopTracing();
    }
    // Checked after the trace so the check's own work is not in it.
    if (embed.launcher && !(await page.locator(selector(embed.launcher)).isVisible())) {
      throw new Error(`${embed.label}: no visible launcher on ${url} once the page was quiet`);
    }
    const longTasks = await page.evaluate(() => window.__longTasks);
    return {
      ...mainThread(trace.toString(), url, longTasks),
      ...network.transferred(new URL(url).origin),
    };
  } finally {
    await context.close();
  }
}

/** Cold then warm: time to launcher and click to interactive. */
export async function openRun(browser, url, embed) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(probe, { launcher: embed.launcher, input: embed.input });
    const cold = await openOnce(context, url, embed);
    const warm = await openOnce(context, url, embed);
    return { cold, warm };
  } finally {
    await context.close();
  }
}

async function openOnce(context, url, embed) {
  const page = await context.newPage();
  try {
    const network = await watchNetwork(await context.newCDPSession(page));
    await page.goto(url, { waitUntil: 'load' });
    const launcherAt = await page.evaluate(() => window.__probe.launcher);
    // A visitor clicks a settled page; clicking mid-load would time the
    // embed's start-up twice.
    await network.quiet();
    await page.locator(selector(embed.launcher)).click();
    const [clickAt, interactiveAt, timeOrigin] = await page.evaluate(() =>
      Promise.all([window.__probe.click, window.__probe.interactive, performance.timeOrigin]),
    );
    await network.quiet();
    const transferred = network.transferred(new URL(url).origin, timeOrigin + interactiveAt);
    return {
      launcherMs: launcherAt,
      clickToInteractiveMs: interactiveAt - clickAt,
      bytes: transferred.bytes,
      requests: transferred.requests,
      failed: transferred.failed,
    };
  } finally {
    await page.close();
  }
}

/** [host, inside] as one Playwright selector (its CSS engine pierces open shadow roots). */
function selector([host, inside]) {
  return `${host} ${inside}`;
}
