import { pick } from "@rapport/core";

// A type alias rather than an interface so the rows fit insertRows' Record<string, unknown>.
export type GeneratedParticipant = {
  interaction_id: string;
  workspace_id: string;
  contact_id: string | null;
  email: string | null;
};

/**
 * Random interaction_participants rows for property tests: about 40% of the interactions get
 * other contacts taking part (an email's co-recipients: any of `contacts`, deleted ones too,
 * sometimes the filed-under contact listed again) and sometimes an address that is no contact.
 */
export function randomParticipants(
  interactions: readonly { id: string; contact_id: string }[],
  contacts: readonly { id: string }[],
  workspaceId: string,
  random: () => number,
): GeneratedParticipant[] {
  const int = (max: number) => Math.floor(random() * max);
  const participants: GeneratedParticipant[] = [];
  for (const interaction of interactions) {
    if (random() >= 0.4) continue;
    const taking = new Set<string>();
    if (random() < 0.5) taking.add(interaction.contact_id);
    for (let k = 1 + int(3); k > 0; k--) taking.add(pick(contacts, random).id);
    for (const contactId of taking)
      participants.push({
        interaction_id: interaction.id,
        workspace_id: workspaceId,
        contact_id: contactId,
        email: null,
      });
    if (random() < 0.3)
      participants.push({
        interaction_id: interaction.id,
        workspace_id: workspaceId,
        contact_id: null,
        email: `stranger${int(1_000)}@example.org`,
      });
  }
  return participants;
}
