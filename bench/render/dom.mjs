// A DOM for React in Node: a jsdom window with `pretendToBeVisual` (so `requestAnimationFrame`
// exists and runs at ~60 Hz off a timer, and `'frame'` throttling is real), installed on
// globalThis before react-dom is loaded. `fetch`, streams, `TextDecoder` and `AbortController`
// stay Node's own (both contenders use `globalThis.fetch`).
import { JSDOM } from 'jsdom';

const installed = [];

function define(key, value) {
  const previous = Object.getOwnPropertyDescriptor(globalThis, key);
  Object.defineProperty(globalThis, key, { value, writable: true, configurable: true, enumerable: true });
  installed.push([key, previous]);
}

/**
 * Installs the window and a frame clock. While the clock runs it keeps one rAF callback
 * outstanding, so frames tick at ~60 Hz whether or not anyone else asked for one, as in a browser;
 * `counters.frames` counts them, `counters.longestGap` is the longest time between two (reset it
 * by hand; a long gap = a long task that held the main thread = a dropped frame).
 * `counters.callbacks` counts the rAF callbacks everyone else got.
 */
export function installDom() {
  const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true, url: 'http://localhost/' });
  const { window } = dom;
  const rawRequest = window.requestAnimationFrame.bind(window);
  const rawCancel = window.cancelAnimationFrame.bind(window);
  const counters = { frames: 0, callbacks: 0, lastFrameAt: 0, longestGap: 0 };
  // Wrapped to count the callbacks others (our frame scheduler) get.
  const requestAnimationFrame = (callback) =>
    rawRequest((time) => {
      counters.callbacks++;
      callback(time);
    });
  window.requestAnimationFrame = requestAnimationFrame;

  define('window', window);
  define('self', window);
  define('document', window.document);
  define('navigator', window.navigator);
  define('location', window.location);
  for (const key of ['HTMLElement', 'HTMLIFrameElement', 'Element', 'Node', 'Text', 'DocumentFragment', 'MutationObserver', 'getComputedStyle']) {
    define(key, typeof window[key] === 'function' && key === 'getComputedStyle' ? window[key].bind(window) : window[key]);
  }
  define('requestAnimationFrame', requestAnimationFrame);
  define('cancelAnimationFrame', rawCancel);

  let clock = null;
  const startFrameClock = () => {
    if (clock !== null) return;
    const tick = () => {
      const now = performance.now();
      counters.frames++;
      counters.longestGap = Math.max(counters.longestGap, now - counters.lastFrameAt);
      counters.lastFrameAt = now;
      clock = rawRequest(tick);
    };
    counters.lastFrameAt = performance.now();
    clock = rawRequest(tick);
  };
  const stopFrameClock = () => {
    if (clock !== null) rawCancel(clock);
    clock = null;
  };
  const close = () => {
    stopFrameClock();
    window.close();
    for (const [key, previous] of installed.reverse()) {
      if (previous) Object.defineProperty(globalThis, key, previous);
      else delete globalThis[key];
    }
    installed.length = 0;
  };
  /** Resolves in the next frame (a callback the counters do not see). */
  const nextFrame = () => new Promise((resolve) => rawRequest(() => resolve()));
  return { window, counters, startFrameClock, stopFrameClock, nextFrame, close };
}
