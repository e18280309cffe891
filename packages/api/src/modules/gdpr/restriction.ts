import { gdprRestrictions, type Executor } from "@rapport/db";
import { and, eq, inArray } from "drizzle-orm";
import { forbidden } from "../../errors";

/** GDPR (issue 6), Art. 18: FORBIDDEN when any of the contacts is restricted. */
export async function assertNotRestricted(db: Executor, contactIds: string[], kind: "contact" | "user" = "contact"): Promise<void> {
  const ids = [...new Set(contactIds)];
  if (ids.length === 0) return;
  const [row] = await db
    .select({ id: gdprRestrictions.subjectId })
    .from(gdprRestrictions)
    .where(and(eq(gdprRestrictions.subjectKind, kind), inArray(gdprRestrictions.subjectId, ids)))
    .limit(1);
  if (row) throw forbidden(`Processing is restricted for this ${kind} (GDPR Art. 18); lift the restriction first.`);
}

/** The ids among `contactIds` whose processing is restricted. */
export async function restrictedAmong(db: Executor, contactIds: string[]): Promise<Set<string>> {
  if (contactIds.length === 0) return new Set();
  const rows = await db
    .select({ id: gdprRestrictions.subjectId })
    .from(gdprRestrictions)
    .where(and(eq(gdprRestrictions.subjectKind, "contact"), inArray(gdprRestrictions.subjectId, [...new Set(contactIds)])));
  return new Set(rows.map((r) => r.id));
}
