// The input rules live in @rapport/core/schemas, where the Integrations page's forms validate with them too.
export {
  gmailCompleteOAuthInput as completeOAuthInput,
  gmailContactInput as contactInput,
  gmailSetFrequencyInput as setFrequencyInput,
  gmailSyncNowInput as syncNowInput,
  gmailUpdateSettingsInput as updateSettingsInput,
  gmailWorkspaceInput as workspaceInput,
} from "@rapport/core/schemas";
