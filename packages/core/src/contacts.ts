/** How a contact came to be in a workspace. */
export const CONTACT_SOURCES = ["manual", "gmail", "import"] as const;
export type ContactSource = (typeof CONTACT_SOURCES)[number];
