import { keepPreviousData } from "@tanstack/react-query";
import { useId, useRef, useState, type KeyboardEvent } from "react";
import { useDebounced } from "../../components/hooks";
import { trpc } from "../../trpc";

export interface PickedContact {
  id: string;
  name: string;
}

const MAX_PARTICIPANTS = 50;

/**
 * "Who else took part": a combobox that finds the workspace's contacts as the
 * person types (search.suggest), with the chosen ones as removable chips. The
 * contact whose page it is takes part anyway and is never offered.
 */
export function ParticipantPicker({
  workspaceId,
  excludeId,
  value,
  onChange,
}: {
  workspaceId: string;
  excludeId: string;
  value: readonly PickedContact[];
  onChange: (next: PickedContact[]) => void;
}) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const q = useDebounced(text.trim(), 200);
  const suggest = trpc.search.suggest.useQuery(
    { workspaceId, q, limit: 8 },
    { enabled: q.length > 0, placeholderData: keepPreviousData, staleTime: 30_000 },
  );
  const chosen = new Set(value.map((contact) => contact.id));
  const options =
    q.length === 0 ? [] : (suggest.data?.items ?? []).filter((hit) => hit.id !== excludeId && !chosen.has(hit.id));
  const showList = open && text.trim().length > 0;
  const full = value.length >= MAX_PARTICIPANTS;

  const pick = (hit: { id: string; name: string; restricted: boolean }) => {
    if (hit.restricted) return;
    onChange([...value, { id: hit.id, name: hit.name }]);
    setText("");
    setActive(0);
    inputRef.current?.focus();
  };
  const remove = (contact: PickedContact) => {
    onChange(value.filter((other) => other.id !== contact.id));
    inputRef.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      setOpen(true);
      if (options.length > 0)
        setActive((at) => (at + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length);
    } else if (event.key === "Enter" && showList) {
      // Enter picks the highlighted contact instead of submitting the form.
      event.preventDefault();
      const hit = options[active];
      if (hit) pick(hit);
    } else if (event.key === "Escape" && showList) {
      // Closes the list only, not the form around it.
      event.preventDefault();
      event.stopPropagation();
      setOpen(false);
    } else if (event.key === "Backspace" && text === "" && value.length > 0) {
      onChange(value.slice(0, -1));
    }
  };

  const status =
    q.length === 0 || !showList
      ? ""
      : suggest.isPending
        ? "Searching…"
        : suggest.error
          ? "Search failed; try again."
          : options.length === 0
            ? "No other contact matches."
            : `${options.length} ${options.length === 1 ? "contact" : "contacts"} found.`;

  return (
    <div className="field ct-span-all participant-picker">
      <label htmlFor={`${id}-input`}>Also with</label>
      {value.length > 0 && (
        <ul className="pp-chips" aria-label="Participants">
          {value.map((contact) => (
            <li key={contact.id} className="pp-chip">
              <span>{contact.name}</span>
              <button
                type="button"
                className="pp-remove"
                aria-label={`Remove ${contact.name}`}
                onClick={() => remove(contact)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="pp-box">
        <input
          ref={inputRef}
          id={`${id}-input`}
          type="text"
          role="combobox"
          autoComplete="off"
          maxLength={200}
          disabled={full}
          placeholder={full ? `At most ${MAX_PARTICIPANTS} people` : "Type a name, email or company"}
          aria-autocomplete="list"
          aria-expanded={showList && options.length > 0}
          aria-controls={`${id}-list`}
          aria-activedescendant={showList && options[active] ? `${id}-option-${active}` : undefined}
          aria-describedby={`${id}-hint`}
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            setActive(0);
            setOpen(true);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setOpen(false)}
        />
        <div
          id={`${id}-list`}
          role="listbox"
          aria-label="Matching contacts"
          className="pp-list"
          hidden={!showList || options.length === 0}
        >
          {options.map((hit, index) => (
            <div
              key={hit.id}
              id={`${id}-option-${index}`}
              role="option"
              aria-selected={index === active}
              aria-disabled={hit.restricted || undefined}
              className={index === active ? "pp-option pp-active" : "pp-option"}
              // Keeps focus in the input, so the list stays open while choosing.
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => pick(hit)}
            >
              <span className="pp-name">{hit.name}</span>
              <span className="muted small">
                {hit.restricted ? "processing restricted" : [hit.email, hit.company].filter(Boolean).join(" · ")}
              </span>
            </div>
          ))}
        </div>
      </div>
      <p id={`${id}-hint`} className="hint">
        Other contacts who took part: they get it on their timelines too.
      </p>
      <p className="visually-hidden" role="status">
        {status}
      </p>
    </div>
  );
}
