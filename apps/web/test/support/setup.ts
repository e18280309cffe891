/**
 * jsdom setup for the web project. Only browser APIs jsdom lacks are filled in
 * (layout sizes, ResizeObserver, IntersectionObserver, matchMedia, scrollTo, dialog methods),
 * so virtualized lists and observers behave as in a browser with a viewport.
 * The network is installed per test with `installFakeServer()`.
 */
import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach, vi } from "vitest";

// findBy*/waitFor wait for the app, not a stopwatch: lazy routes load slowly on a busy CI machine.
configure({ asyncUtilTimeout: 5_000 });

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
  sessionStorage.clear();
  window.history.replaceState(null, "", "/");
});

// A desktop-sized viewport with a real layout box for every element, so
// @tanstack/react-virtual (and anything measuring) sees a visible scroll area.
const VIEWPORT = { width: 1280, height: 900 };
Object.defineProperty(window, "innerWidth", { configurable: true, value: VIEWPORT.width });
Object.defineProperty(window, "innerHeight", { configurable: true, value: VIEWPORT.height });
// Rows and list items get a row height (virtualizers measure them); everything else fills the viewport.
const ROW_HEIGHT = 44;
const isRow = (element: Element) =>
  element.hasAttribute("data-index") || element.matches("tr, li, [role=row], [role=listitem]");
for (const prop of ["offsetWidth", "clientWidth"] as const) {
  Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => VIEWPORT.width });
}
for (const prop of ["offsetHeight", "clientHeight"] as const) {
  Object.defineProperty(HTMLElement.prototype, prop, {
    configurable: true,
    get(this: HTMLElement) {
      return isRow(this) ? ROW_HEIGHT : VIEWPORT.height;
    },
  });
}
HTMLElement.prototype.getBoundingClientRect = function () {
  return DOMRect.fromRect({ x: 0, y: 0, width: VIEWPORT.width, height: isRow(this) ? ROW_HEIGHT : VIEWPORT.height });
};

class ResizeObserverPolyfill {
  constructor(private readonly callback: ResizeObserverCallback) {}
  observe(target: Element) {
    const rect = target.getBoundingClientRect();
    const size = [{ inlineSize: rect.width, blockSize: rect.height }];
    queueMicrotask(() =>
      this.callback(
        [{ target, contentRect: rect, borderBoxSize: size, contentBoxSize: size, devicePixelContentBoxSize: size }],
        this as never,
      ),
    );
  }
  unobserve() {}
  disconnect() {}
}
/**
 * Nothing scrolls in jsdom, so nothing intersects on its own; a test that
 * "scrolls to the end" calls `scrollIntoViewAll()` (exported from here) to
 * report every observed element as visible.
 */
const observers = new Set<IntersectionObserverPolyfill>();
class IntersectionObserverPolyfill {
  readonly root = null;
  readonly rootMargin = "0px";
  readonly thresholds = [0];
  readonly targets = new Set<Element>();
  constructor(private readonly callback: IntersectionObserverCallback) {
    observers.add(this);
  }
  observe(target: Element) {
    this.targets.add(target);
  }
  unobserve(target: Element) {
    this.targets.delete(target);
  }
  disconnect() {
    this.targets.clear();
    observers.delete(this);
  }
  takeRecords() {
    return [];
  }
  fire() {
    const entries = [...this.targets]
      .filter((target) => target.isConnected)
      .map((target) => {
        const rect = target.getBoundingClientRect();
        return {
          target,
          isIntersecting: true,
          intersectionRatio: 1,
          boundingClientRect: rect,
          intersectionRect: rect,
          rootBounds: rect,
          time: performance.now(),
        };
      });
    if (entries.length > 0) this.callback(entries, this as never);
  }
}

/** Reports every element watched by an IntersectionObserver as on screen. */
export function scrollIntoViewAll(): void {
  for (const observer of observers) observer.fire();
}

globalThis.ResizeObserver ??= ResizeObserverPolyfill as unknown as typeof ResizeObserver;
globalThis.IntersectionObserver ??= IntersectionObserverPolyfill as unknown as typeof IntersectionObserver;
window.matchMedia ??= (query: string) =>
  ({
    matches: false,
    media: query,
    onchange: null,
    addListener() {},
    removeListener() {},
    addEventListener() {},
    removeEventListener() {},
    dispatchEvent: () => false,
  }) as MediaQueryList;
window.scrollTo = () => {};
Element.prototype.scrollTo = () => {};
Element.prototype.scrollIntoView = () => {};

// jsdom has <dialog> (and its `open` attribute) but not the methods that open and close it.
if (typeof HTMLDialogElement !== "undefined" && !HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.show = function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  HTMLDialogElement.prototype.close = function (this: HTMLDialogElement, returnValue?: string) {
    if (!this.hasAttribute("open")) return;
    this.removeAttribute("open");
    if (returnValue !== undefined) this.returnValue = returnValue;
    this.dispatchEvent(new Event("close"));
  };
}
