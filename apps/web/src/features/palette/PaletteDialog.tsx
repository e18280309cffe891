import { keepPreviousData } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { useDebounced } from "../../components/hooks";
import { Highlighted } from "../../components/Highlighted";
import { useSession } from "../../session";
import { trpc } from "../../trpc";
import { requestIntent } from "../shell/intents";
import { SECTIONS } from "../shell/sections";
import { canManage, useOptionalWorkspace } from "../shell/workspace";
import { useRecentContacts } from "./recent";
import { closePalette } from "./store";
import "./palette.css";

type Group = "Contacts" | "Recent" | "Actions" | "Pages" | "Workspaces";
const GROUP_ORDER: Group[] = ["Contacts", "Actions", "Recent", "Pages", "Workspaces"];

interface Item {
  key: string;
  group: Group;
  label: string;
  /** Words it is also found by (folded with the label). */
  keywords?: string;
  /** A second line: the contact's company or email, where a page leads. */
  detail?: string;
  ranges?: readonly (readonly [number, number])[];
  run: () => void;
}

/** "Log interaction" first asks with whom: the palette then lists contacts only. */
type Mode = "all" | "log-with";

const SUGGESTIONS = 6;

/** Lower case without accents, for matching the palette's own entries. */
function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/**
 * The command palette (Ctrl/Cmd-K): one text box over contacts (search.suggest as the
 * person types; stale requests are cancelled), recently opened contacts, common actions
 * (add a contact, log an interaction, switch workspace) and the app's pages. Keyboard
 * only: arrows move through the options, Enter runs one, Escape closes. An ARIA combobox
 * controlling a listbox, inside a modal dialog that gives focus back on closing.
 */
export default function PaletteDialog() {
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const navigate = useNavigate();
  const session = useSession();
  const userId = session.status === "signedIn" ? session.user.id : null;
  const workspace = useOptionalWorkspace();
  const workspaces = trpc.workspaces.list.useQuery();
  const recentContacts = useRecentContacts(workspace?.id ?? null, userId);
  const [mode, setMode] = useState<Mode>("all");
  const [text, setText] = useState("");
  const [active, setActive] = useState(0);
  const q = useDebounced(text.trim(), 150);

  // Modal, in the top layer; focus returns where it was when it closes.
  useLayoutEffect(() => {
    const element = dialog.current;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (element && !element.open) element.showModal();
    input.current?.focus();
    return () => {
      if (element?.open) element.close();
      previous?.focus({ preventScroll: true });
    };
  }, []);

  const suggest = trpc.search.suggest.useQuery(
    { workspaceId: workspace?.id ?? "", q, limit: SUGGESTIONS },
    {
      enabled: workspace !== null && q.length > 0,
      placeholderData: keepPreviousData,
      staleTime: 30_000,
      trpc: { abortOnUnmount: true },
    },
  );

  const items = useMemo<Item[]>(() => {
    const go = (run: () => unknown) => () => {
      closePalette();
      void run();
    };
    const openContact = (contactId: string, intent?: "interaction.log") =>
      go(() => {
        if (!workspace) return;
        if (intent) requestIntent(intent);
        return navigate({
          to: "/w/$workspaceId/contacts/$contactId",
          params: { workspaceId: workspace.id, contactId },
        });
      });
    const intent = mode === "log-with" ? ("interaction.log" as const) : undefined;
    const entries: Item[] = [];
    if (workspace && q.length > 0 && q === text.trim()) {
      for (const hit of suggest.data?.items ?? []) {
        const name = hit.highlights.find((highlight) => highlight.field === "name");
        entries.push({
          key: `contact:${hit.id}`,
          group: "Contacts",
          label: hit.name,
          detail: [hit.title, hit.company ?? hit.email].filter(Boolean).join(" · ") || undefined,
          ranges: name?.ranges,
          run: openContact(hit.id, intent),
        });
      }
    }
    if (workspace) {
      for (const recent of recentContacts) {
        entries.push({
          key: `recent:${recent.id}`,
          group: "Recent",
          label: recent.name,
          run: openContact(recent.id, intent),
        });
      }
    }
    if (mode === "all") {
      if (workspace) {
        const workspaceId = workspace.id;
        entries.push(
          {
            key: "action:add-contact",
            group: "Actions",
            label: "Add contact",
            keywords: "new create person",
            run: go(() => {
              requestIntent("contact.add");
              return navigate({ to: "/w/$workspaceId/contacts", params: { workspaceId } });
            }),
          },
          {
            key: "action:log-interaction",
            group: "Actions",
            label: "Log interaction…",
            keywords: "note call meeting email record",
            run: () => {
              setMode("log-with");
              setText("");
              setActive(0);
            },
          },
        );
        for (const section of SECTIONS) {
          if (section.admin && !canManage(workspace.role)) continue;
          entries.push({
            key: `page:${section.to}`,
            group: "Pages",
            label: section.label,
            run: go(() => navigate({ to: section.to, params: { workspaceId } })),
          });
        }
      }
      entries.push(
        {
          key: "page:/privacy",
          group: "Pages",
          label: "My privacy",
          keywords: "export delete account gdpr",
          run: go(() => navigate({ to: "/privacy" })),
        },
        {
          key: "page:/settings/notifications",
          group: "Pages",
          label: "Notification settings",
          run: go(() => navigate({ to: "/settings/notifications" })),
        },
      );
      for (const other of workspaces.data ?? []) {
        if (other.id === workspace?.id) continue;
        entries.push({
          key: `workspace:${other.id}`,
          group: "Workspaces",
          label: `Switch to ${other.name}`,
          keywords: "workspace",
          run: go(() => navigate({ to: "/w/$workspaceId/today", params: { workspaceId: other.id } })),
        });
      }
    }
    // The palette's own entries by the words typed; contacts come ranked by the search.
    const words = fold(text).split(/\s+/).filter(Boolean);
    const shown = entries.filter(
      (item) =>
        item.group === "Contacts" || words.every((word) => fold(`${item.label} ${item.keywords ?? ""}`).includes(word)),
    );
    return GROUP_ORDER.flatMap((group) => shown.filter((item) => item.group === group));
  }, [workspace, workspaces.data, recentContacts, mode, text, q, suggest.data, navigate]);

  const current = Math.min(active, Math.max(items.length - 1, 0));
  const optionId = (index: number) => `${id}-option-${index}`;

  useEffect(() => {
    list.current?.querySelector(`#${CSS.escape(optionId(current))}`)?.scrollIntoView({ block: "nearest" });
  });

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (items.length === 0) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((current + step + items.length) % items.length);
    } else if (event.key === "Enter") {
      event.preventDefault();
      items[current]?.run();
    } else if (event.key === "Backspace" && text === "" && mode !== "all") {
      event.preventDefault();
      setMode("all");
      setActive(0);
    } else if (event.key === "Tab") {
      // Everything is reached with the arrows; focus stays in the box.
      event.preventDefault();
    }
  };

  const searching = workspace !== null && q.length > 0 && (suggest.isFetching || q !== text.trim());
  const status = searching
    ? "Searching…"
    : items.length === 0
      ? "Nothing matches."
      : `${items.length} ${items.length === 1 ? "result" : "results"}.`;

  return (
    <dialog
      ref={dialog}
      className="palette"
      aria-label="Command palette"
      onCancel={(event) => {
        event.preventDefault();
        closePalette();
      }}
      onClick={(event) => {
        // A click on the backdrop (the dialog element itself, outside its box) closes it.
        if (event.target === dialog.current) closePalette();
      }}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          closePalette();
        }
      }}
    >
      <div className="palette-box">
        <label className="visually-hidden" htmlFor={`${id}-input`}>
          {mode === "log-with" ? "Log an interaction with" : "Search contacts, pages and actions"}
        </label>
        {mode === "log-with" && <span className="palette-mode">Log an interaction with…</span>}
        <input
          ref={input}
          id={`${id}-input`}
          className="palette-input"
          type="text"
          role="combobox"
          aria-expanded={items.length > 0}
          aria-controls={`${id}-list`}
          aria-autocomplete="list"
          aria-activedescendant={items.length > 0 ? optionId(current) : undefined}
          aria-describedby={`${id}-help`}
          autoComplete="off"
          spellCheck={false}
          placeholder={mode === "log-with" ? "Type a contact's name…" : "Search contacts, pages and actions…"}
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
        />
        <p id={`${id}-help`} className="visually-hidden">
          Up and down arrows choose, Enter opens, Escape closes.
          {mode === "log-with" ? " Backspace in the empty box goes back." : ""}
        </p>
        <div ref={list} id={`${id}-list`} role="listbox" aria-label="Results" className="palette-list">
          {GROUP_ORDER.map((group) => {
            const members = items.flatMap((item, index) => (item.group === group ? [{ item, index }] : []));
            if (members.length === 0) return null;
            return (
              <div key={group} role="group" aria-labelledby={`${id}-group-${group}`}>
                <div id={`${id}-group-${group}`} className="palette-group" role="presentation">
                  {group}
                </div>
                {/* The keyboard drives the options through the combobox (arrows, Enter); a click runs one too. */}
                {members.map(({ item, index }) => (
                  <div
                    key={item.key}
                    id={optionId(index)}
                    role="option"
                    tabIndex={-1}
                    aria-selected={index === current}
                    className="palette-option"
                    onMouseMove={() => {
                      if (index !== current) setActive(index);
                    }}
                    onMouseDown={(event) => event.preventDefault()}
                    onClick={() => item.run()}
                  >
                    <span className="palette-label">
                      {item.ranges ? <Highlighted text={item.label} ranges={item.ranges} /> : item.label}
                    </span>
                    {item.detail && <span className="palette-detail">{item.detail}</span>}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
        <p className="palette-status muted small" role="status">
          {status}
        </p>
      </div>
    </dialog>
  );
}
