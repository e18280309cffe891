import { router, workspaceMember } from "../../trpc";
import { searchQueryInput, searchSuggestInput } from "./schemas";

export const searchRouter = router({
  /** Contacts and interactions matching `q`, best first per type, with what matched highlighted. */
  query: workspaceMember("member")
    .input(searchQueryInput)
    .query(({ ctx, input }) => ctx.runtime.services.search.query(input)),
  /** Contacts for autocomplete as the user types. */
  suggest: workspaceMember("member")
    .input(searchSuggestInput)
    .query(({ ctx, input }) => ctx.runtime.services.search.suggest(input)),
});
