import { type CountryCode, isPhoneCountry } from "@rapport/core";
import { type Executor, queryRows } from "@rapport/db";
import { sql } from "drizzle-orm";

/** The country a workspace's phone numbers without a country code are read in (none set: undefined). */
export async function phoneCountryOf(executor: Executor, workspaceId: string): Promise<CountryCode | undefined> {
  const [row] = await queryRows<{ phone_country: string | null }>(
    executor,
    sql`SELECT phone_country FROM workspaces WHERE id = ${workspaceId}`,
  );
  const code = row?.phone_country;
  return code && isPhoneCountry(code) ? code : undefined;
}
