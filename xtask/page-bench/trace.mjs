// The page's main-thread work, from a Chromium trace: every top-level task the
// renderer's main thread ran, as wall time and as CPU time. CPU time is what
// the embeds are compared on: wall time also counts the moments the OS gave
// the thread's core to another process, which on a shared machine says more
// about the neighbours than about the page.

/**
 * What `browser.startTracing` records: tasks, script, which process committed
 * which page (in the disabled-by-default category) and the navigation start
 * (in blink.user_timing) that the page's `performance.now()` counts from.
 */
export const TRACE_CATEGORIES = [
  '__metadata',
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8',
  'v8.execute',
  'blink.user_timing',
];

/** Trace events that run JavaScript (DevTools' "Scripting"). */
const SCRIPT_EVENTS = new Set([
  'EvaluateScript',
  'v8.compile',
  'v8.compileModule',
  'v8.evaluateModule',
  'v8.produceCache',
  'v8.produceModuleCache',
  'FunctionCall',
  'TimerFire',
  'FireAnimationFrame',
  'FireIdleCallback',
  'RunMicrotasks',
  'EventDispatch',
]);

/**
 * Sums the main-thread tasks of the renderer that showed `pageUrl`, in
 * milliseconds: `taskCpu`/`taskWall` over every top-level task, `scriptCpu`
 * over the JavaScript inside them. Nested events count once (the outermost).
 * `longTasks` (the Long Tasks API's `{ start, wall }`, in the page's
 * `performance.now()` time) come back with the CPU time the trace shows for
 * each.
 */
export function mainThread(traceJson, pageUrl, longTasks = []) {
  const parsed = JSON.parse(traceJson);
  const events = parsed.traceEvents ?? parsed;
  // The headless browser may run other renderers (internal pages) meanwhile.
  const commit = events.find(
    (event) => event.name === 'FrameCommittedInBrowser' && event.args?.data?.url === pageUrl,
  );
  if (!commit) throw new Error(`the trace shows no frame committing ${pageUrl}`);
  const pid = commit.args.data.processId;
  const thread = events.find(
    (event) =>
      event.ph === 'M' && event.name === 'thread_name' && event.pid === pid && event.args.name === 'CrRendererMain',
  );
  if (!thread) throw new Error(`the trace has no main thread for renderer ${pid}`);
  const slices = events
    .filter((event) => event.ph === 'X' && event.pid === pid && event.tid === thread.tid)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const tasks = outermost(slices.filter((event) => event.cat.split(',').includes('toplevel')));
  const script = outermost(slices.filter((event) => SCRIPT_EVENTS.has(event.name)));
  const ms = (micros) => micros / 1000;
  // The trace's clock at the page's time origin.
  const origin = longTasks.length > 0 ? navigationStart(events, pageUrl) : 0;
  return {
    taskCpu: ms(sum(tasks, 'tdur')),
    taskWall: ms(sum(tasks, 'dur')),
    scriptCpu: ms(sum(script, 'tdur')),
    longTasks: longTasks.map((long) => {
      // A millisecond of slack: the API rounds its times.
      const from = origin + (long.start - 1) * 1000;
      const to = origin + (long.start + long.wall + 1) * 1000;
      const inside = tasks.filter((task) => task.ts >= from && task.ts + task.dur <= to);
      return { wall: long.wall, cpu: ms(sum(inside, 'tdur')) };
    }),
  };
}

function navigationStart(events, pageUrl) {
  const start = events.find(
    (event) => event.name === 'navigationStart' && event.args?.data?.documentLoaderURL === pageUrl,
  );
  if (!start) throw new Error(`the trace shows no navigation start for ${pageUrl}`);
  return start.ts;
}

/** The slices not inside an earlier one (`slices` sorted by start, longest first). */
function outermost(slices) {
  const kept = [];
  let end = -Infinity;
  for (const slice of slices) {
    if (slice.ts >= end) {
      kept.push(slice);
      end = slice.ts + slice.dur;
    }
  }
  return kept;
}

function sum(slices, field) {
  return slices.reduce((total, slice) => total + (slice[field] ?? 0), 0);
}
