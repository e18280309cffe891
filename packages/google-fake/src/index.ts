export { type ApiError, type GoogleErrorBody, type GoogleErrorDetail, googleErrors } from "./errors";
export { type FakeMessage, Mailbox, type MailboxOptions, type MessageKind, type Person } from "./mailbox";
export {
  type FaultSpec,
  type FaultTarget,
  GMAIL_SCOPES,
  GoogleFake,
  type GoogleFakeOptions,
  type GoogleFakeStats,
  type Grant,
  type RequestLogEntry,
  startGoogleFake,
} from "./server";
