import type { InfiniteData } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { useForm } from "react-hook-form";
import { schemaResolver } from "../../components/form";
import { createInteractionInput } from "../../schemas";
import { ActionsMenu, type MenuAction } from "../../components/ActionsMenu";
import { ErrorMessage } from "../../components/ErrorMessage";
import { trpc, type RouterInputs } from "../../trpc";
import type { Contact, Interaction, InteractionPage } from "./cache";
import { fieldErrors } from "./fieldErrors";
import { FormErrorAlert } from "./FormErrorAlert";
import { focusFirstInvalid, SelectField, TextAreaField, TextField } from "../../components/fields";
import { dateFormat, dateTimeFormat, toLocalInput } from "../../components/time";
// Tasks feature: "Follow up" on a timeline item.
import { FollowUpDialog } from "../tasks/FollowUpDialog";
import { useSentinel } from "./hooks";
import { timelineInput } from "./listParams";
import { ParticipantPicker, type PickedContact } from "./ParticipantPicker";
import { showToast } from "../../components/toast";
import { Skeleton } from "../../components/Skeleton";
import { useIntent } from "../shell/intents";

const TYPES = [
  { value: "email", label: "Email" },
  { value: "meeting", label: "Meeting" },
  { value: "call", label: "Call" },
  { value: "linkedin", label: "LinkedIn" },
  { value: "note", label: "Note" },
] as const satisfies readonly { value: Interaction["type"]; label: string }[];
type InteractionType = Interaction["type"];
const TYPE_LABEL = Object.fromEntries(TYPES.map((type) => [type.value, type.label])) as Record<string, string>;
const DIRECTIONS = [
  { value: "outbound", label: "Outbound" },
  { value: "inbound", label: "Inbound" },
] as const satisfies readonly { value: Direction; label: string }[];
type Direction = NonNullable<Interaction["direction"]>;
/** The log form's fields as typed; `occurredAt` is a datetime-local value (the person's time). */
interface LogValues {
  participants: PickedContact[];
  type: InteractionType;
  direction: Direction;
  occurredAt: string;
  subject: string;
  summary: string;
}

type TimelineData = InfiniteData<InteractionPage, string | null>;

function isNewer(a: Interaction, b: Interaction) {
  const diff = a.occurredAt.getTime() - b.occurredAt.getTime();
  return diff > 0 || (diff === 0 && a.id > b.id);
}

/** Puts a new interaction where newest-first order wants it, if that place is already loaded. */
function insertInteraction(data: TimelineData | undefined, item: Interaction): TimelineData | undefined {
  if (!data) return data;
  const pages = data.pages.map((page) => ({ ...page, items: [...page.items] }));
  for (const page of pages) {
    const at = page.items.findIndex((existing) => isNewer(item, existing));
    if (at >= 0) {
      page.items.splice(at, 0, item);
      return { ...data, pages };
    }
  }
  const last = pages[pages.length - 1];
  if (last && !last.nextCursor) {
    last.items.push(item);
    return { ...data, pages };
  }
  return data; // older than everything loaded: it comes with a later page
}

function removeInteraction(data: TimelineData | undefined, interactionId: string): TimelineData | undefined {
  if (!data) return data;
  return {
    ...data,
    pages: data.pages.map((page) => ({ ...page, items: page.items.filter((item) => item.id !== interactionId) })),
  };
}

/** The interaction timeline, newest first, with infinite scroll and "Log interaction". */
export function Timeline({ workspaceId, contact }: { workspaceId: string; contact: Contact }) {
  const id = useId();
  const [logging, setLogging] = useState(false);
  // "Log interaction…" from the command palette.
  useIntent("interaction.log", () => setLogging(true));
  const logButton = useRef<HTMLButtonElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const input = timelineInput(workspaceId, contact.id);
  const timeline = trpc.interactions.listForContact.useInfiniteQuery(input, {
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const items = timeline.data?.pages.flatMap((page) => page.items) ?? [];
  const canLoadMore = timeline.hasNextPage && !timeline.isFetchingNextPage && !timeline.isFetchNextPageError;
  const sentinel = useSentinel<HTMLDivElement>(() => {
    if (canLoadMore) void timeline.fetchNextPage();
  }, canLoadMore);

  const closeForm = () => {
    setLogging(false);
    requestAnimationFrame(() => logButton.current?.focus());
  };

  return (
    <section className="ct-timeline" aria-labelledby={`${id}-title`}>
      <div className="ct-section-head">
        <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
          Timeline
        </h2>
        {!logging && (
          <button ref={logButton} type="button" onClick={() => setLogging(true)}>
            Log interaction
          </button>
        )}
      </div>
      {logging && <LogInteractionForm workspaceId={workspaceId} contact={contact} onClose={closeForm} />}

      {timeline.isPending ? (
        <Skeleton shape="list" rows={3} label="Loading timeline…" />
      ) : timeline.error && items.length === 0 ? (
        <ErrorMessage error={timeline.error}>
          <button type="button" className="button-secondary" onClick={() => void timeline.refetch()}>
            Try again
          </button>
        </ErrorMessage>
      ) : (
        <>
          <ol className="tl-list" aria-label="Timeline">
            {items.map((item) => (
              <TimelineItem
                key={item.id}
                workspaceId={workspaceId}
                contactId={contact.id}
                contactName={contact.name}
                item={item}
                onDeleted={() => heading.current?.focus()}
              />
            ))}
          </ol>
          {items.length === 0 && <p className="muted">No interactions yet. Log the first one.</p>}
          {timeline.isFetchNextPageError && <ErrorMessage error={timeline.error} />}
          {timeline.hasNextPage && (
            <div ref={sentinel} className="tl-more">
              <button
                type="button"
                className="button-secondary"
                disabled={timeline.isFetchingNextPage}
                onClick={() => void timeline.fetchNextPage()}
              >
                {timeline.isFetchingNextPage ? "Loading…" : "Load older interactions"}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function TimelineItem({
  workspaceId,
  contactId,
  contactName,
  item,
  onDeleted,
}: {
  workspaceId: string;
  contactId: string;
  contactName: string;
  item: Interaction;
  onDeleted: () => void;
}) {
  const utils = trpc.useUtils();
  const [confirming, setConfirming] = useState(false);
  const [followingUp, setFollowingUp] = useState(false);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const actionsRef = useRef<HTMLDivElement>(null);
  const remove = trpc.interactions.delete.useMutation({
    onSuccess: () => {
      utils.interactions.listForContact.setInfiniteData(timelineInput(workspaceId, contactId), (data) =>
        removeInteraction(data, item.id),
      );
      showToast({ message: "Interaction deleted." });
      onDeleted();
    },
  });
  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  const others = item.participants.filter((participant) => participant.contactId !== contactId);
  const names = others
    .map((participant) => participant.contactName ?? participant.displayName ?? participant.email)
    .filter(Boolean);
  const typeLabel = TYPE_LABEL[item.type] ?? item.type;
  const subject = item.subject ?? `${typeLabel} (no subject)`;
  // The item's "⋯" menu, in order (one line per action).
  const actions: MenuAction[] = [
    { key: "follow-up", label: "Follow up", onSelect: () => setFollowingUp(true) },
    { key: "delete", label: "Delete interaction", danger: true, onSelect: () => setConfirming(true) },
  ];
  return (
    <li className={`tl-item tl-${item.type}`}>
      <span className="tl-icon" aria-hidden="true">
        {typeLabel.slice(0, 1)}
      </span>
      <div className="tl-body">
        <p className="tl-meta">
          <span className="tl-type">{typeLabel}</span>
          <span aria-hidden="true"> · </span>
          {item.direction && (
            <>
              <span>{item.direction === "inbound" ? "Inbound" : "Outbound"}</span>
              <span aria-hidden="true"> · </span>
            </>
          )}
          <time dateTime={item.occurredAt.toISOString()}>{dateTimeFormat.format(item.occurredAt)}</time>
        </p>
        <h3 className="tl-subject">{subject}</h3>
        {item.summary && <p className="tl-summary">{item.summary}</p>}
        {names.length > 0 && <p className="tl-people muted small">With {names.join(", ")}</p>}
        {remove.error && <ErrorMessage error={remove.error} />}
      </div>
      <div className="tl-actions" ref={actionsRef}>
        {confirming ? (
          <div className="tl-confirm" role="group" aria-label="Confirm delete">
            <span className="small">Delete this interaction?</span>
            <button
              ref={confirmButton}
              type="button"
              className="button-danger"
              disabled={remove.isPending}
              onClick={() => remove.mutate({ workspaceId, interactionId: item.id })}
            >
              {remove.isPending ? "Deleting…" : "Yes, delete"}
            </button>
            <button
              type="button"
              className="button-secondary"
              onClick={() => {
                setConfirming(false);
                requestAnimationFrame(() => actionsRef.current?.querySelector("button")?.focus());
              }}
            >
              Cancel
            </button>
          </div>
        ) : (
          <ActionsMenu label={`Actions for ${subject}`} actions={actions} />
        )}
      </div>
      {followingUp && (
        <FollowUpDialog
          workspaceId={workspaceId}
          draft={{
            title: `Follow up on ${item.subject ?? `${typeLabel.toLowerCase()} of ${dateFormat.format(item.occurredAt)}`}`,
            dueInDays: 3,
            contact: { id: contactId, name: contactName },
            interactionId: item.id,
          }}
          onClose={() => {
            setFollowingUp(false);
            requestAnimationFrame(() => actionsRef.current?.querySelector("button")?.focus());
          }}
        />
      )}
    </li>
  );
}

/** "Log interaction" for one contact; also opened from the Reconnect list (`onLogged` then refreshes it). */
export function LogInteractionForm({
  workspaceId,
  contact,
  onClose,
  onLogged,
}: {
  workspaceId: string;
  contact: Pick<Contact, "id" | "name">;
  onClose: () => void;
  onLogged?: () => void;
}) {
  const id = useId();
  const utils = trpc.useUtils();
  const formRef = useRef<HTMLFormElement>(null);
  // Checked with interactions.create's schema before anything is sent; "When" is the person's local time.
  const form = useForm<LogValues, unknown, RouterInputs["interactions"]["create"]>({
    mode: "onTouched",
    defaultValues: {
      participants: [],
      type: "email",
      direction: "outbound",
      occurredAt: toLocalInput(new Date()),
      subject: "",
      summary: "",
    },
    resolver: schemaResolver(
      createInteractionInput,
      (values: LogValues) => ({
        workspaceId,
        contactId: contact.id,
        type: values.type,
        // A note has no direction: the field is hidden and nothing is sent.
        direction: values.type === "note" ? undefined : values.direction,
        occurredAt: new Date(values.occurredAt),
        subject: values.subject,
        summary: values.summary,
        participants: values.participants.map((participant) => ({ contactId: participant.id })),
      }),
      {
        local: (values: LogValues) => ({
          occurredAt:
            !values.occurredAt || Number.isNaN(new Date(values.occurredAt).getTime())
              ? "Enter a date and time."
              : undefined,
        }),
      },
    ),
  });
  const create = trpc.interactions.create.useMutation();
  const errors = fieldErrors(create.error);
  const error = (field: keyof LogValues) => form.formState.errors[field]?.message ?? errors.fields[field];

  const { setFocus } = form;
  useEffect(() => setFocus("type"), [setFocus]);

  const type = form.watch("type");
  const participants = form.watch("participants");

  const submit = form.handleSubmit((input) => {
    create.mutate(input, {
      onSuccess: ({ interaction }) => {
        const item: Interaction = {
          ...interaction,
          participants: [contact, ...participants].map((person) => ({
            contactId: person.id,
            email: null,
            displayName: null,
            role: "participant" as const,
            contactName: person.name,
          })),
        };
        utils.interactions.listForContact.setInfiniteData(timelineInput(workspaceId, contact.id), (data) =>
          insertInteraction(data, item),
        );
        showToast({ message: "Interaction logged." });
        onLogged?.();
        onClose();
      },
      onError: () => focusFirstInvalid(formRef.current),
    });
  });

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape") {
      event.preventDefault();
      onClose();
    }
  };
  return (
    <form
      ref={formRef}
      className="card ct-panel ct-form-grid tl-form"
      aria-labelledby={`${id}-title`}
      onSubmit={(event) => void submit(event)}
      onKeyDown={onKeyDown}
      noValidate
    >
      <h3 id={`${id}-title`} className="ct-span-all">
        Log interaction
      </h3>
      <SelectField label="Type" {...form.register("type")} error={error("type")}>
        {TYPES.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </SelectField>
      {type !== "note" && (
        <SelectField label="Direction" {...form.register("direction")} error={error("direction")}>
          {DIRECTIONS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </SelectField>
      )}
      <TextField
        label="When"
        type="datetime-local"
        required
        {...form.register("occurredAt")}
        error={error("occurredAt")}
      />
      <TextField
        label="Subject"
        className="ct-span-all"
        maxLength={500}
        autoComplete="off"
        {...form.register("subject")}
        error={error("subject")}
      />
      <TextAreaField
        label="Summary"
        className="ct-span-all"
        rows={4}
        maxLength={10_000}
        {...form.register("summary")}
        error={error("summary")}
      />
      <ParticipantPicker
        workspaceId={workspaceId}
        excludeId={contact.id}
        value={participants}
        onChange={(next) => form.setValue("participants", next, { shouldDirty: true })}
      />
      <FormErrorAlert errors={errors} workspaceId={workspaceId} />
      <div className="ct-actions ct-span-all">
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? "Saving…" : "Save interaction"}
        </button>
        <button type="button" className="button-secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
