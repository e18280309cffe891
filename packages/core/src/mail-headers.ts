/**
 * Mail header parsing for mailbox imports: RFC 5322 address lists and RFC 2047 encoded
 * words. Every function here is a single left-to-right scan (no regular expression runs
 * over the header text), so a hostile header costs time linear in its length; headers are
 * also cut at MAX_HEADER_LENGTH and lists at MAX_ADDRESSES.
 */
import { matchesGlob } from "./glob";
import { isValidEmail, normalizeEmail, type ParsedAddress } from "./email";

export const MAX_HEADER_LENGTH = 64 * 1024;
export const MAX_ADDRESSES = 1_000;

// Longer than RFC 2047's 75 so that real mailers' slightly overlong words still decode.
const MAX_ENCODED_WORD = 200;

const isSpace = (ch: string) => ch === " " || ch === "\t" || ch === "\r" || ch === "\n";

/** Runs of whitespace become one space; ends trimmed. */
function collapseSpace(text: string): string {
  let out = "";
  let pendingSpace = false;
  for (const ch of text) {
    if (isSpace(ch)) {
      pendingSpace = out.length > 0;
      continue;
    }
    if (pendingSpace) out += " ";
    pendingSpace = false;
    out += ch;
  }
  return out;
}

interface EncodedWord {
  charset: string;
  bytes: Uint8Array;
  end: number;
}

/** Reads `=?charset?B|Q?text?=` starting at `start` (which holds "=?"); null when it is not one. */
function readEncodedWord(input: string, start: number): EncodedWord | null {
  // RFC 2047 caps an encoded word at 75 characters: look no further (keeps the scan linear).
  const window = input.slice(start, start + MAX_ENCODED_WORD);
  const charsetEnd = window.indexOf("?", 2);
  if (charsetEnd < 0) return null;
  const encoding = window[charsetEnd + 1]?.toUpperCase();
  if ((encoding !== "B" && encoding !== "Q") || window[charsetEnd + 2] !== "?") return null;
  const textStart = charsetEnd + 3;
  const textEnd = window.indexOf("?=", textStart);
  if (textEnd < 0) return null;
  const text = window.slice(textStart, textEnd);
  for (const ch of text) if (isSpace(ch) || ch === "?") return null;
  // RFC 2231 allows a language suffix: charset*lang.
  const charset = window.slice(2, charsetEnd).split("*")[0]!.toLowerCase();
  if (charset.length === 0) return null;
  const bytes = encoding === "B" ? decodeBase64(text) : decodeQ(text);
  if (!bytes) return null;
  return { charset, bytes, end: start + textEnd + 2 };
}

function decodeBase64(text: string): Uint8Array | null {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

const HEX = "0123456789abcdef";

function decodeQ(text: string): Uint8Array | null {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "_") bytes.push(0x20);
    else if (ch === "=") {
      const hi = HEX.indexOf((text[i + 1] ?? "").toLowerCase());
      const lo = HEX.indexOf((text[i + 2] ?? "").toLowerCase());
      if (hi < 0 || lo < 0) return null;
      bytes.push(hi * 16 + lo);
      i += 2;
    } else {
      const code = ch.charCodeAt(0);
      if (code > 0x7e) return null;
      bytes.push(code);
    }
  }
  return Uint8Array.from(bytes);
}

function decodeBytes(charset: string, bytes: Uint8Array): string | null {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Decodes RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?iso-8859-1?Q?…?=`) anywhere in a header
 * value. Whitespace between adjacent encoded words is dropped, and adjacent words of the same
 * charset are decoded together, so a character split across two words survives. A word that
 * is malformed or names an unknown charset is left as it is.
 */
export function decodeEncodedWords(input: string): string {
  const text = input.length > MAX_HEADER_LENGTH ? input.slice(0, MAX_HEADER_LENGTH) : input;
  let out = "";
  let i = 0;
  // The run of adjacent encoded words being collected, and the whitespace seen after it.
  let run: { charset: string; chunks: Uint8Array[]; raw: string } | null = null;
  let gap = "";
  const flushRun = () => {
    if (!run) return;
    const total = run.chunks.reduce((n, c) => n + c.length, 0);
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const chunk of run.chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    out += decodeBytes(run.charset, joined) ?? run.raw;
    run = null;
  };
  while (i < text.length) {
    if (text[i] === "=" && text[i + 1] === "?") {
      const word = readEncodedWord(text, i);
      if (word) {
        const raw = text.slice(i, word.end);
        if (run && run.charset === word.charset) {
          run.chunks.push(word.bytes);
          run.raw += gap + raw;
        } else {
          // A different charset: the earlier run ends; the whitespace between encoded words is still dropped.
          const joinedToPrevious = run !== null;
          flushRun();
          if (!joinedToPrevious) out += gap;
          run = { charset: word.charset, chunks: [word.bytes], raw };
        }
        gap = "";
        i = word.end;
        continue;
      }
    }
    const ch = text[i]!;
    if (isSpace(ch)) {
      gap += ch;
      i++;
      continue;
    }
    flushRun();
    out += gap + ch;
    gap = "";
    i++;
  }
  flushRun();
  return out + gap;
}

interface Mailbox {
  email: string;
  displayName: string | null;
}

/**
 * Parses an address-list header (From, To, Cc, Reply-To) as RFC 5322 writes it and as mail
 * clients really send it: display names plain, quoted (with commas and backslash escapes) or
 * RFC 2047-encoded; `addr (Comment Name)`; group syntax (`Team: a@x.com, b@y.com;`,
 * `undisclosed-recipients:;`); and values some API already decoded, where an encoded name
 * became `Ruiz, Ana <ana@acme.com>` — a part without an address is taken as the start of the
 * next one's name. Addresses are validated and lower-cased; duplicates keep the first mention
 * (and its name). Linear in the input.
 */
export function parseAddressList(input: string): ParsedAddress[] {
  const text = input.length > MAX_HEADER_LENGTH ? input.slice(0, MAX_HEADER_LENGTH) : input;
  const result: ParsedAddress[] = [];
  const seen = new Set<string>();

  let phrase = "";
  let angle: string | null = null;
  let comment = "";
  // A part with no address (a name whose comma was decoded into view) carried to the next part.
  let carried = "";

  const flush = () => {
    const mailbox = toMailbox(phrase, angle, comment);
    if (mailbox) {
      if (carried && angle !== null && phrase.trim()) {
        mailbox.displayName = collapseSpace(decodeEncodedWords(`${carried}, ${phrase}`)) || mailbox.displayName;
      }
      carried = "";
      if (!seen.has(mailbox.email) && result.length < MAX_ADDRESSES) {
        seen.add(mailbox.email);
        result.push(mailbox);
      }
    } else {
      const leftover = phrase.trim();
      carried =
        leftover && !leftover.includes("@") && angle === null ? (carried ? `${carried}, ${leftover}` : leftover) : "";
    }
    phrase = "";
    angle = null;
    comment = "";
  };

  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      // Quoted string: backslash escapes the next character; an unterminated one runs to the end.
      let value = "";
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      i++;
      phrase += value;
      continue;
    }
    if (ch === "(") {
      // Comment, possibly nested, with escapes.
      let depth = 1;
      let value = "";
      i++;
      while (i < text.length && depth > 0) {
        const c = text[i]!;
        if (c === "\\" && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        if (c === "(") depth++;
        else if (c === ")") depth--;
        if (depth > 0) value += c;
        i++;
      }
      comment = comment ? `${comment} ${value}` : value;
      phrase += " ";
      continue;
    }
    if (ch === "<") {
      const close = text.indexOf(">", i + 1);
      const end = close < 0 ? text.length : close;
      angle = text.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (ch === ":" && angle === null) {
      // Group: what came before is the group's name, not a person.
      phrase = "";
      comment = "";
      carried = "";
      i++;
      continue;
    }
    if (ch === "," || ch === ";") {
      flush();
      i++;
      continue;
    }
    phrase += ch;
    i++;
  }
  flush();
  return result;
}

function toMailbox(phrase: string, angle: string | null, comment: string): Mailbox | null {
  if (angle !== null) {
    // Obsolete source routes (`<@relay:ana@acme.com>`) keep only the address after the colon.
    const route = angle.lastIndexOf(":");
    const address = collapseSpace(route >= 0 ? angle.slice(route + 1) : angle);
    if (!isValidEmail(address)) return null;
    const name = collapseSpace(decodeEncodedWords(phrase)) || collapseSpace(decodeEncodedWords(comment));
    return { email: normalizeEmail(address), displayName: name || null };
  }
  const address = collapseSpace(phrase);
  if (address.includes(" ") || !isValidEmail(address)) return null;
  const name = collapseSpace(decodeEncodedWords(comment));
  return { email: normalizeEmail(address), displayName: name || null };
}

/** Automated senders whose mail is not a relationship (glob patterns on the whole address). */
export const DEFAULT_AUTOMATED_SENDERS: readonly string[] = [
  "no-reply@*",
  "noreply@*",
  "no_reply@*",
  "do-not-reply@*",
  "donotreply@*",
  "*-noreply@*",
  "*+noreply@*",
  "noreply-*@*",
  "mailer-daemon@*",
  "postmaster@*",
  "notifications@*",
  "notification@*",
  "notify@*",
  "bounce@*",
  "bounces@*",
  "bounces+*@*",
  "*@bounce.*",
];

/** Gmail's tabs that are not personal mail; their messages are not imported by default. */
export const EXCLUDED_GMAIL_CATEGORIES: readonly string[] = [
  "CATEGORY_PROMOTIONS",
  "CATEGORY_SOCIAL",
  "CATEGORY_FORUMS",
  "CATEGORY_UPDATES",
];

export function isAutomatedSender(email: string, patterns: readonly string[] = DEFAULT_AUTOMATED_SENDERS): boolean {
  const address = normalizeEmail(email);
  return patterns.some((pattern) => matchesGlob(pattern.toLowerCase(), address));
}

export type ParticipantRoleInMessage = "from" | "to" | "cc";

export interface MessageParticipant extends ParsedAddress {
  role: ParticipantRoleInMessage;
}

export interface MessageHeadersInput {
  from?: string | null;
  to?: string | null;
  cc?: string | null;
  labelIds?: readonly string[] | null;
  /** The mailbox owner's addresses (the account and its aliases), in any case. */
  ownAddresses: Iterable<string>;
  automatedSenders?: readonly string[];
  excludedCategories?: readonly string[];
}

export type MessageClassification =
  | { skip: true; reason: "category" | "no-participants" }
  | { skip: false; direction: "inbound" | "outbound"; participants: MessageParticipant[] };

/**
 * Who a message was with, seen from the mailbox owner: every address of From, To and Cc
 * except the owner's own and automated senders, each once (first role wins), and whether
 * the owner sent it (From is theirs, or Gmail labelled it SENT). Messages in excluded
 * categories, or with nobody left, are skipped.
 */
export function classifyMessage(input: MessageHeadersInput): MessageClassification {
  const labels = input.labelIds ?? [];
  const excluded = input.excludedCategories ?? EXCLUDED_GMAIL_CATEGORIES;
  if (labels.some((label) => excluded.includes(label))) return { skip: true, reason: "category" };
  const own = new Set([...input.ownAddresses].map(normalizeEmail));
  const automated = input.automatedSenders ?? DEFAULT_AUTOMATED_SENDERS;
  const from = parseAddressList(input.from ?? "");
  const outbound = labels.includes("SENT") || from.some((a) => own.has(a.email));
  const seen = new Set<string>();
  const participants: MessageParticipant[] = [];
  const add = (addresses: ParsedAddress[], role: ParticipantRoleInMessage) => {
    for (const address of addresses) {
      if (own.has(address.email) || seen.has(address.email) || isAutomatedSender(address.email, automated)) continue;
      seen.add(address.email);
      participants.push({ ...address, role });
    }
  };
  add(from, "from");
  add(parseAddressList(input.to ?? ""), "to");
  add(parseAddressList(input.cc ?? ""), "cc");
  if (participants.length === 0) return { skip: true, reason: "no-participants" };
  return { skip: false, direction: outbound ? "outbound" : "inbound", participants };
}
