import { vi } from "vitest";

/**
 * Fake timers that still move with real time, so the app, React Query and
 * user-event run as usual; a test can then jump the clock ahead to prove that
 * no further poll is scheduled, without waiting for it. Undo with `vi.useRealTimers()`.
 */
export function useFakeTimersFollowingRealTime(): void {
  vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
}
