/**
 * The scheduled-deletion notice (an account, a workspace) counts whole days to
 * the nearest one, so a 30-day grace period reads "30 days" whether the request
 * was made a second or a minute before the notice's clock last ticked.
 */
import { act, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ScheduledDeletion } from "../src/components/ScheduledDeletion";

const DAY = 86_400_000;

afterEach(() => vi.useRealTimers());

describe("ScheduledDeletion", () => {
  it("shows the date and the days left, and keeps the figure as the clock moves on", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ["Date", "setInterval", "clearInterval"] });
    const effectiveAt = new Date(Date.now() + 30 * DAY - 5_000);
    render(
      <ScheduledDeletion subject="Your account" effectiveAt={effectiveAt}>
        It is erased then.
      </ScheduledDeletion>,
    );
    const notice = screen.getByRole("status");
    expect(notice).toHaveTextContent(/^Your account will be deleted on .+ \(in 30 days\)\.It is erased then\.$/);
    expect(notice.querySelector("time")).toHaveAttribute("dateTime", effectiveAt.toISOString());

    // Minutes later it still reads 30; half a day on, 29.
    await act(() => vi.advanceTimersByTimeAsync(5 * 60_000));
    expect(notice).toHaveTextContent("(in 30 days)");
    const later = async (ms: number) => {
      vi.setSystemTime(Date.now() + ms);
      await act(() => vi.advanceTimersByTimeAsync(60_000));
    };
    await later(DAY / 2);
    expect(notice).toHaveTextContent("(in 29 days)");

    // Under half a day left; then past the date, no countdown at all.
    await later(29 * DAY);
    expect(notice).toHaveTextContent("(in less than a day)");
    await later(DAY);
    expect(notice).not.toHaveTextContent("(in");
  });
});
