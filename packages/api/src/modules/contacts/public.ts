import { contacts, type Executor } from "@rapport/db";
import { and, eq, inArray } from "drizzle-orm";

/** A contact's public fields as other modules may publish them (e.g. in a webhook's `data`). */
export interface ContactSnapshot {
  id: string;
  name: string;
  email: string | null;
  company: string | null;
  title: string | null;
  phone: string | null;
  tags: string[];
  source: string;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

/** The contacts of `workspaceId` among `ids` (deleted ones too), read through `executor` (a consumer's transaction). */
export async function contactSnapshots(
  executor: Executor,
  workspaceId: string,
  ids: readonly string[],
): Promise<Map<string, ContactSnapshot>> {
  if (ids.length === 0) return new Map();
  const rows = await executor
    .select({
      id: contacts.id,
      name: contacts.name,
      email: contacts.email,
      company: contacts.company,
      title: contacts.title,
      phone: contacts.phone,
      tags: contacts.tags,
      source: contacts.source,
      createdAt: contacts.createdAt,
      updatedAt: contacts.updatedAt,
      deletedAt: contacts.deletedAt,
    })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), inArray(contacts.id, [...new Set(ids)])));
  return new Map(rows.map((row) => [row.id, row]));
}
