import { createHmac } from "node:crypto";
import { emailMatchKey } from "@rapport/core";
import { gdprSuppressions, type Executor } from "@rapport/db";
import { and, eq, inArray } from "drizzle-orm";

/**
 * Suppression list: erased contacts' addresses are kept only as a keyed
 * HMAC (key GDPR_SUPPRESSION_KEY, held by the server), pseudonymous data whose single
 * purpose is to stop imports and participant linking from re-creating the person.
 */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

function addressHmac(key: string, address: string): string {
  return createHmac("sha256", key).update(normalizeAddress(address)).digest("hex");
}

/**
 * The HMACs an address is suppressed and checked under: the address itself (case folded), and
 * the mailbox it reaches where the provider ignores dots and `+tags` (emailMatchKey: erasing
 * `ana.lima@gmail.com` also stops `analima+crm@gmail.com`, the same mailbox). Lists written
 * before hold the first only.
 */
export function suppressionHmacs(key: string, address: string): string[] {
  const mailbox = emailMatchKey(address);
  const exact = addressHmac(key, address);
  return mailbox && mailbox !== normalizeAddress(address) ? [exact, addressHmac(key, mailbox)] : [exact];
}

/** The subset of `addresses` (as given) that are suppressed in the workspace. */
export async function suppressedAddresses(
  db: Executor,
  key: string,
  workspaceId: string,
  addresses: string[],
): Promise<Set<string>> {
  const byHmac = new Map<string, string[]>();
  for (const a of addresses) {
    for (const h of suppressionHmacs(key, a)) byHmac.set(h, [...(byHmac.get(h) ?? []), a]);
  }
  if (byHmac.size === 0) return new Set();
  const rows = await db
    .select({ h: gdprSuppressions.addressHmac })
    .from(gdprSuppressions)
    .where(
      and(eq(gdprSuppressions.workspaceId, workspaceId), inArray(gdprSuppressions.addressHmac, [...byHmac.keys()])),
    );
  return new Set(rows.flatMap((r) => byHmac.get(r.h) ?? []));
}

export const SUPPRESSED_MESSAGE =
  "This person's data was erased at their request (GDPR Art. 17); they cannot be added again.";
