import { describe, expect, it } from "vitest";
import { reviveDates, WireDate, wireTransformer } from "../src/wire";

describe("wire format", () => {
  it("round-trips dates under time-named keys through JSON", () => {
    const sent = {
      items: [{ id: "a", name: "Ana", createdAt: new Date("2026-01-02T03:04:05.678Z"), deletedAt: null }],
      asOf: new Date(0),
    };
    const received = wireTransformer.deserialize(JSON.parse(JSON.stringify(wireTransformer.serialize(sent))));
    expect(received).toEqual(sent);
  });

  it("leaves date-shaped strings alone under other keys", () => {
    const value = { name: "2026-01-02T03:04:05.678Z", subject: "2026-01-02T03:04:05Z", updatedAt: "not a date" };
    expect(reviveDates(structuredClone(value))).toEqual(value);
  });

  it("revives nested objects and arrays", () => {
    const value = reviveDates({ a: [{ b: { occurredAt: "2026-01-02T03:04:05Z" } }] });
    expect(value.a[0]!.b.occurredAt).toEqual(new Date("2026-01-02T03:04:05Z"));
  });

  it("a WireDate is the Date of its text and writes that text to JSON; once changed, it writes like any Date", () => {
    const text = "2026-01-02T03:04:05.678Z";
    const date = new WireDate(text);
    expect(date).toBeInstanceOf(Date);
    expect(date.getTime()).toBe(Date.parse(text));
    expect(JSON.stringify({ at: date })).toBe(JSON.stringify({ at: new Date(text) }));
    date.setTime(0);
    expect(JSON.stringify({ at: date })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });
});
