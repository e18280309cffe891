import { useCallback, useId, useRef, useState, type KeyboardEvent } from "react";
import { useDismiss } from "./hooks";

export interface MenuAction {
  /** Stable key; also what tests and other features refer to. */
  key: string;
  label: string;
  onSelect: () => void;
  /** Destructive (shown in the danger colour). */
  danger?: boolean;
  disabled?: boolean;
}

/**
 * A "⋯" button opening a menu of actions for one item (the ARIA menu-button
 * pattern): Enter, Space or ↓ open it on the first action, ↑ on the last; ↑/↓,
 * Home and End move between actions; Escape closes it and returns focus to the
 * button; Tab, a click outside or choosing an action close it.
 */
export function ActionsMenu({ label, actions }: { label: string; actions: readonly MenuAction[] }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const close = useCallback(() => setOpen(false), []);
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  useDismiss(open, close, rootRef, buttonRef);

  const items = () => Array.from(menuRef.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);
  const focusItem = (index: number) => {
    const all = items();
    if (all.length > 0) all[(index + all.length) % all.length]!.focus();
  };
  const openAt = (index: number) => {
    setOpen(true);
    // The menu renders on this update; focus lands once it is in the DOM.
    requestAnimationFrame(() => focusItem(index));
  };

  const onButtonKeyDown = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown" || event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      openAt(0);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      openAt(-1);
    }
  };
  const onMenuKeyDown = (event: KeyboardEvent) => {
    const all = items();
    const at = all.indexOf(document.activeElement as HTMLElement);
    const moves: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: -1 };
    if (event.key in moves) {
      event.preventDefault();
      focusItem(moves[event.key]!);
    } else if (event.key === "Tab") {
      close();
    }
  };

  return (
    <div className="actions-menu" ref={rootRef}>
      <button
        ref={buttonRef}
        type="button"
        className="button-secondary actions-menu-button"
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? `${id}-menu` : undefined}
        onClick={() => (open ? close() : openAt(0))}
        onKeyDown={onButtonKeyDown}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {open && (
        <div
          id={`${id}-menu`}
          ref={menuRef}
          role="menu"
          aria-label={label}
          className="actions-menu-list"
          onKeyDown={onMenuKeyDown}
        >
          {actions.map((action) => (
            <button
              key={action.key}
              type="button"
              role="menuitem"
              tabIndex={-1}
              disabled={action.disabled}
              className={action.danger ? "actions-menu-item actions-menu-danger" : "actions-menu-item"}
              onClick={() => {
                close();
                action.onSelect();
              }}
            >
              {action.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
