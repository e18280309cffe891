import { describe, expect, it } from "vitest";
import {
  classifyMessage,
  decodeEncodedWords,
  isAutomatedSender,
  MAX_HEADER_LENGTH,
  parseAddressList,
} from "../src/mail-headers";
import { createRandom } from "../src/random";

describe("RFC 2047 encoded words", () => {
  it("decodes B and Q words in any case and joins adjacent words", () => {
    expect(decodeEncodedWords("=?UTF-8?B?Sm9zw6kgUnXDrXo=?=")).toBe("José Ruíz");
    expect(decodeEncodedWords("=?iso-8859-1?q?Fran=E7ois_Dupont?=")).toBe("François Dupont");
    // Whitespace between adjacent encoded words is not part of the text.
    expect(decodeEncodedWords("=?UTF-8?Q?Ana?= =?UTF-8?Q?_Ruiz?=")).toBe("Ana Ruiz");
    // A character split across two words (é = C3 A9) survives.
    expect(decodeEncodedWords("=?UTF-8?Q?Jos=C3?=\r\n =?UTF-8?Q?=A9?=")).toBe("José");
    expect(decodeEncodedWords("Re: =?UTF-8?B?w7xiZXI=?= alles")).toBe("Re: über alles");
  });

  it("leaves malformed words and unknown charsets as they are", () => {
    expect(decodeEncodedWords("=?UTF-8?X?abc?=")).toBe("=?UTF-8?X?abc?=");
    expect(decodeEncodedWords("=?no-such-charset?Q?abc?=")).toBe("=?no-such-charset?Q?abc?=");
    expect(decodeEncodedWords("=?UTF-8?Q?a b?=")).toBe("=?UTF-8?Q?a b?=");
    expect(decodeEncodedWords("plain = text ?= here")).toBe("plain = text ?= here");
  });
});

describe("RFC 5322 address lists", () => {
  it("parses quoted names with commas and escapes, comments, mixed case and duplicates", () => {
    expect(
      parseAddressList(
        '"Ruiz, Ana" <Ana@Acme.com>, "Bob \\"The Builder\\" Smith" <bob@x.io>, carol@Y.org (Carol King), ana@acme.com',
      ),
    ).toEqual([
      { email: "ana@acme.com", displayName: "Ruiz, Ana" },
      { email: "bob@x.io", displayName: 'Bob "The Builder" Smith' },
      { email: "carol@y.org", displayName: "Carol King" },
    ]);
  });

  it("parses group syntax, including the empty undisclosed-recipients group", () => {
    expect(parseAddressList("undisclosed-recipients:;")).toEqual([]);
    expect(parseAddressList("Team: a@x.com, B <b@y.com>; c@z.com")).toEqual([
      { email: "a@x.com", displayName: null },
      { email: "b@y.com", displayName: "B" },
      { email: "c@z.com", displayName: null },
    ]);
  });

  it("decodes encoded display names, raw or already decoded", () => {
    expect(parseAddressList("=?UTF-8?Q?Ruiz=2C_Ana?= <ana@acme.com>, =?UTF-8?B?Sm9zw6k=?= <jose@acme.com>")).toEqual([
      { email: "ana@acme.com", displayName: "Ruiz, Ana" },
      { email: "jose@acme.com", displayName: "José" },
    ]);
    // The same header after a decoder turned it into text: the comma is now bare.
    expect(parseAddressList("Ruiz, Ana <ana@acme.com>, José <jose@acme.com>")).toEqual([
      { email: "ana@acme.com", displayName: "Ruiz, Ana" },
      { email: "jose@acme.com", displayName: "José" },
    ]);
  });

  it("drops invalid entries and keeps source routes' address", () => {
    expect(parseAddressList("not an address, <@relay.example:dan@d.com>, <>, x@")).toEqual([
      { email: "dan@d.com", displayName: null },
    ]);
  });

  it("agrees with the addresses it was built from (random lists, every notation)", () => {
    const random = createRandom(7);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const nameParts = [
      "Ana",
      "Ruiz",
      "O'Brien",
      "José",
      "Zoë",
      "李",
      "Smith, Jr.",
      'the "boss"',
      "a\\b",
      "(x)",
      "Ünal",
    ];
    const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
    for (let round = 0; round < 300; round++) {
      const count = 1 + Math.floor(random() * 6);
      const expected: { email: string; displayName: string | null }[] = [];
      const parts: string[] = [];
      for (let k = 0; k < count; k++) {
        const email = `user${round}x${k}@Host${k}.example.com`;
        const name = random() < 0.2 ? null : `${pick(nameParts)} ${pick(nameParts)}`;
        expected.push({ email: email.toLowerCase(), displayName: name });
        if (name === null) {
          parts.push(random() < 0.5 ? email : `<${email}>`);
          continue;
        }
        const quoted = `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
        parts.push(
          pick([
            `${quoted} <${email}>`,
            `=?UTF-8?B?${b64(name)}?= <${email}>`,
            `${quoted}\r\n\t<${email}>`,
            `${email} (${name.replace(/[()\\]/g, (c) => `\\${c}`)})`,
          ]),
        );
      }
      const header = random() < 0.3 ? `Group ${round}: ${parts.join(", ")};` : parts.join(",\r\n ");
      expect(parseAddressList(header), header).toEqual(expected);
      // Duplicates (in another case) do not add entries.
      expect(parseAddressList(`${header}, ${expected[0]!.email.toUpperCase()}`)).toEqual(expected);
    }
  });

  it("takes time linear in the input on hostile headers", () => {
    const hostile = [
      "<".repeat(100_000),
      '"'.repeat(100_001),
      "(".repeat(100_000),
      "=?".repeat(50_000),
      "=?UTF-8?Q?".repeat(10_000),
      "a@".repeat(50_000),
      `${"a".repeat(60_000)}@`,
      ",".repeat(100_000),
      "x:".repeat(50_000),
    ];
    for (const header of hostile) {
      const started = performance.now();
      parseAddressList(header);
      decodeEncodedWords(header);
      expect(performance.now() - started, header.slice(0, 12)).toBeLessThan(500);
    }
    expect(parseAddressList(`${"x".repeat(MAX_HEADER_LENGTH)}, late@x.com`)).toEqual([]);
  });
});

describe("message classification", () => {
  const own = ["me@mine.com", "alias@mine.com"];

  it("skips the owner's addresses and automated senders and sets the direction", () => {
    expect(
      classifyMessage({
        from: "Me <ME@mine.com>",
        to: "Ana <ana@acme.com>, alias@mine.com",
        cc: "no-reply@service.com, Bob <bob@x.io>, ana@acme.com",
        labelIds: ["SENT"],
        ownAddresses: own,
      }),
    ).toEqual({
      skip: false,
      direction: "outbound",
      participants: [
        { email: "ana@acme.com", displayName: "Ana", role: "to" },
        { email: "bob@x.io", displayName: "Bob", role: "cc" },
      ],
    });
    expect(
      classifyMessage({ from: "ana@acme.com", to: "me@mine.com", labelIds: ["INBOX"], ownAddresses: own }),
    ).toMatchObject({ skip: false, direction: "inbound" });
  });

  it("skips promotions, social, forums and updates, and messages with nobody left", () => {
    for (const label of ["CATEGORY_PROMOTIONS", "CATEGORY_SOCIAL", "CATEGORY_FORUMS", "CATEGORY_UPDATES"]) {
      expect(classifyMessage({ from: "ana@acme.com", labelIds: ["INBOX", label], ownAddresses: own })).toEqual({
        skip: true,
        reason: "category",
      });
    }
    expect(
      classifyMessage({ from: "notifications@github.com", to: "me@mine.com", labelIds: [], ownAddresses: own }),
    ).toEqual({ skip: true, reason: "no-participants" });
  });

  it("matches automated senders by pattern, case-insensitively", () => {
    expect(isAutomatedSender("MAILER-DAEMON@googlemail.com")).toBe(true);
    expect(isAutomatedSender("billing-noreply@shop.com")).toBe(true);
    expect(isAutomatedSender("noreen@shop.com")).toBe(false);
    expect(isAutomatedSender("ana@acme.com", ["*@acme.com"])).toBe(true);
  });
});
