import { describe, expect, it } from "vitest";
import {
  decodeBatchEndMessage,
  decodeCommitMessage,
  encodeBatchEndMessage,
  encodeCommitMessage,
} from "../src/platform/events/commit-message";
import type { CommittedEvent } from "../src/platform/events/types";

const WORKSPACE = "0b7c3a52-3f52-4d5e-9a57-0d1f3c0e6a11";
const events: CommittedEvent[] = [
  { id: 41, workspaceId: WORKSPACE, type: "interaction.created" },
  { id: 42, workspaceId: null, type: "user.restricted" },
];

describe("commit wake-up message", () => {
  it("names the transaction and its events to the other instances, never to the sender", () => {
    const message = encodeCommitMessage({ txId: "123456", events }, "a");
    expect(decodeCommitMessage(message, "b")).toEqual({ txId: "123456", events });
    expect(decodeCommitMessage(message, "a")).toBeNull();
    expect(decodeCommitMessage(encodeCommitMessage({ txId: null, events: [] }, "a"), "b")).toEqual({
      txId: null,
      events: [],
    });
  });

  it("names no events when they are unknown or too many: the readers then ask the outbox", () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ ...events[0]!, id: i + 1 }));
    for (const commit of [
      { txId: "7", events: null },
      { txId: "7", events: many },
    ])
      expect(decodeCommitMessage(encodeCommitMessage(commit, "a"), "b")).toEqual({ txId: "7", events: null });
    // An older instance's message: `{txId}|{sender}`.
    expect(decodeCommitMessage("7|a", "b")).toEqual({ txId: "7", events: null });
  });

  it("names the events whole when the writer knew them (the live feeds hand them out from it), within a bound", () => {
    const detail = {
      actorId: WORKSPACE,
      payload: { contactId: WORKSPACE, fields: ["name"] },
      createdAt: new Date(1_700_000_000_123),
    };
    const whole = events.map((event) => ({ ...event, detail }));
    expect(decodeCommitMessage(encodeCommitMessage({ txId: "9", events: whole }, "a"), "b")).toEqual({
      txId: "9",
      events: whole,
    });
    // One event not known whole: none of them are (the feeds read them from the outbox).
    expect(decodeCommitMessage(encodeCommitMessage({ txId: "9", events: [whole[0]!, events[1]!] }, "a"), "b")).toEqual({
      txId: "9",
      events: [events[0], events[1]],
    });
    // Payloads too large for a wake-up: the events named without them.
    const large = { ...detail, payload: { fields: ["x".repeat(40_000)] } };
    expect(
      decodeCommitMessage(encodeCommitMessage({ txId: "9", events: [{ ...events[0]!, detail: large }] }, "a"), "b"),
    ).toEqual({ txId: "9", events: [events[0]] });
    for (const bad of [
      `9|a|[[1,null,"contact.created","not-a-uuid",1700000000123,{}]]`,
      `9|a|[[1,null,"contact.created",null,"yesterday",{}]]`,
      `9|a|[[1,null,"contact.created",null,1700000000123,[]]]`,
      `9|a|[[1,null,"contact.created",null,1700000000123]]`,
    ])
      expect(decodeCommitMessage(bad, "b"), bad).toEqual({ txId: "9", events: null });
  });

  it("reads nothing from a malformed message", () => {
    expect(decodeCommitMessage("7; DROP|a|", "b")).toEqual({ txId: null, events: null });
    for (const bad of [
      '7|a|[[1,"not-a-uuid","contact.created"]]',
      '7|a|[[1,null,"contact.invented"]]',
      '7|a|[[0,null,"contact.created"]]',
      '7|a|[[1.5,null,"contact.created"]]',
      "7|a|[[1,null]]",
      '7|a|{"id":1}',
      '7|a|[[1,null,"contact.created"]',
    ]) {
      expect(decodeCommitMessage(bad, "b"), bad).toEqual({ txId: "7", events: null });
    }
  });
});

describe("batch end message", () => {
  it("names the ended batch's transaction to the other instances, never to the sender; anything malformed names none", () => {
    expect(decodeBatchEndMessage(encodeBatchEndMessage("123456", "a"), "b")).toBe("123456");
    expect(decodeBatchEndMessage(encodeBatchEndMessage("123456", "a"), "a")).toBeNull();
    for (const bad of ["", "123456", "12a|a", "|a", "123456789012345678901|a", "-1|a"])
      expect(decodeBatchEndMessage(bad, "b"), bad).toBeNull();
  });
});
