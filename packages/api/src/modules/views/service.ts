import { hasRole, type WorkspaceRole } from "@rapport/core";
import type { CreateSavedViewInput, UpdateSavedViewInput } from "@rapport/core/schemas";
import { savedViews } from "@rapport/db";
import { and, eq, or, sql } from "drizzle-orm";
import { conflict, forbidden, isUniqueViolation, notFound } from "../../errors";
import type { ServiceDeps } from "../../platform/deps";

const viewColumns = {
  id: savedViews.id,
  name: savedViews.name,
  shared: savedViews.shared,
  ownerId: savedViews.ownerId,
  filters: savedViews.filters,
  sort: savedViews.sort,
  columns: savedViews.columns,
  createdAt: savedViews.createdAt,
  updatedAt: savedViews.updatedAt,
};

/**
 * Saved views of the contacts list. A private view exists only for its owner (others get
 * NOT_FOUND, never a hint it exists); a shared one is read by every member, changed only by
 * its owner, and deletable by its owner or an admin (to tidy up after members who left).
 */
export class SavedViewService {
  constructor(private readonly deps: ServiceDeps) {}

  /** The caller's views and the workspace's shared ones, by name. */
  async list(workspaceId: string, userId: string) {
    const rows = await this.deps.db
      .select(viewColumns)
      .from(savedViews)
      .where(
        and(eq(savedViews.workspaceId, workspaceId), or(eq(savedViews.ownerId, userId), eq(savedViews.shared, true))),
      )
      .orderBy(sql`lower(${savedViews.name})`, savedViews.id);
    return rows.map((row) => ({ ...row, mine: row.ownerId === userId }));
  }

  async create(input: CreateSavedViewInput, userId: string) {
    const now = this.deps.clock.now();
    const [row] = await nameTaken(input.name, () =>
      this.deps.db
        .insert(savedViews)
        .values({
          workspaceId: input.workspaceId,
          ownerId: userId,
          name: input.name,
          shared: input.shared,
          filters: input.filters,
          sort: input.sort,
          columns: input.columns,
          createdAt: now,
          updatedAt: now,
        })
        .returning(viewColumns),
    );
    return { ...row!, mine: true };
  }

  async update(input: UpdateSavedViewInput, userId: string) {
    const view = await this.visible(input.workspaceId, input.viewId, userId);
    if (view.ownerId !== userId) throw forbidden("Only the member who saved this view can change it");
    const [row] = await nameTaken(input.patch.name, () =>
      this.deps.db
        .update(savedViews)
        .set({ ...input.patch, updatedAt: this.deps.clock.now() })
        .where(and(eq(savedViews.workspaceId, input.workspaceId), eq(savedViews.id, input.viewId)))
        .returning(viewColumns),
    );
    if (!row) throw notFound("Saved view");
    return { ...row, mine: true };
  }

  async delete(workspaceId: string, viewId: string, userId: string, role: WorkspaceRole) {
    const view = await this.visible(workspaceId, viewId, userId);
    const adminOnShared = view.shared && hasRole(role, "admin");
    if (view.ownerId !== userId && !adminOnShared)
      throw forbidden("Only the member who saved this view, or an admin for a shared one, can delete it");
    await this.deps.db
      .delete(savedViews)
      .where(and(eq(savedViews.workspaceId, workspaceId), eq(savedViews.id, viewId)));
    return { deleted: true };
  }

  /** The view if the caller may see it; another member's private view is "not found". */
  private async visible(workspaceId: string, viewId: string, userId: string) {
    const [view] = await this.deps.db
      .select({ ownerId: savedViews.ownerId, shared: savedViews.shared })
      .from(savedViews)
      .where(and(eq(savedViews.workspaceId, workspaceId), eq(savedViews.id, viewId)));
    if (!view || (!view.shared && view.ownerId !== userId)) throw notFound("Saved view");
    return view;
  }
}

/** A member's view names are unique regardless of case (the index decides): say so, by name. */
async function nameTaken<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (name !== undefined && isUniqueViolation(error))
      throw conflict(`You already have a view named "${name}"; choose another name.`, { field: "name" });
    throw error;
  }
}
