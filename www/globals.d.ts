// What www/loader.js finds and leaves on the host page's window, for tsc
// (www/tsconfig.check.json): the page's own stub, if it queued calls before the
// loader ran, then the loader's `SiteKit(...)`.
interface Window {
  SiteKit?: ((...args: unknown[]) => void) & {
    /** Set by the loader: a second copy of the snippet does nothing. */
    loaded?: boolean;
    /** The stub's queue: each call's arguments. */
    q?: Iterable<unknown>[];
  };
}
