// What a page fetched, from the DevTools protocol's Network events: bytes on
// the wire per request (headers included, 0 for an HTTP-cache hit, as DevTools
// shows them) and when each started, to count what an embed transferred and
// to know when the page has gone quiet.

/** Starts watching `page`'s requests through its CDP session `cdp`. */
export async function watchNetwork(cdp) {
  const requests = new Map();
  let lastActivity = performance.now();
  const touch = () => (lastActivity = performance.now());
  cdp.on('Network.requestWillBeSent', (event) => {
    touch();
    // A redirect reuses the id; data: URLs never touch the network.
    if (requests.has(event.requestId) || event.request.url.startsWith('data:')) return;
    requests.set(event.requestId, {
      url: event.request.url,
      // Milliseconds since the epoch, comparable with the page's
      // `performance.timeOrigin + performance.now()`.
      startedAt: event.wallTime * 1000,
      bytes: 0,
      done: false,
    });
  });
  cdp.on('Network.loadingFinished', (event) => {
    touch();
    const request = requests.get(event.requestId);
    if (request) Object.assign(request, { bytes: event.encodedDataLength, done: true });
  });
  cdp.on('Network.loadingFailed', (event) => {
    touch();
    const request = requests.get(event.requestId);
    if (request) Object.assign(request, { done: true, failed: event.errorText });
  });
  await cdp.send('Network.enable');
  return {
    /**
     * Resolves once no request is in flight and none started or ended for
     * `idleMs`: long enough for work an embed defers to idle time to begin.
     */
    async quiet(idleMs = 1000, timeoutMs = 30_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const busy = [...requests.values()].some((request) => !request.done);
        if (!busy && performance.now() - lastActivity >= idleMs) return;
        if (performance.now() > deadline) {
          const open = [...requests.values()].filter((request) => !request.done);
          throw new Error(`the page never went quiet; in flight: ${open.map((r) => r.url).join(', ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    /**
     * Bytes and count of the requests not to `exceptOrigin` (the host page's
     * own), only those started by `until` (epoch ms) when given.
     */
    transferred(exceptOrigin, until = Infinity) {
      const counted = [...requests.values()].filter(
        (request) => new URL(request.url).origin !== exceptOrigin && request.startedAt <= until,
      );
      return {
        bytes: counted.reduce((sum, request) => sum + request.bytes, 0),
        requests: counted.length,
        failed: counted.filter((request) => request.failed).map((r) => `${r.url} (${r.failed})`),
      };
    },
  };
}
