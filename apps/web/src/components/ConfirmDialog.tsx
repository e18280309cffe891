import { useEffect, useId, useRef, type ReactNode } from "react";

interface Props {
  open: boolean;
  title: string;
  children?: ReactNode;
  /** Text of the confirming button, e.g. "Yes, remove". */
  confirmLabel: string;
  cancelLabel?: string;
  pending?: boolean;
  /** Shown inside the dialog (e.g. the server refused). */
  error?: ReactNode;
  destructive?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * A modal confirmation on the native <dialog>: focus moves in and is trapped,
 * Escape cancels, focus returns to the opener on close.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  cancelLabel = "Cancel",
  pending,
  error,
  destructive,
  onConfirm,
  onCancel,
}: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const id = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const opener = document.activeElement as HTMLElement | null;
      dialog.showModal();
      // Start on the harmless choice.
      cancelRef.current?.focus();
      return () => {
        if (dialog.open) dialog.close();
        opener?.focus?.();
      };
    }
    return undefined;
  }, [open]);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={`${id}-title`}
      onCancel={(event) => {
        event.preventDefault();
        if (!pending) onCancel();
      }}
    >
      {open && (
        <div className="stack">
          <h2 id={`${id}-title`}>{title}</h2>
          {children}
          {error}
          <div className="button-row">
            <button
              type="button"
              className={destructive ? "button-danger" : undefined}
              onClick={onConfirm}
              disabled={pending}
            >
              {pending ? "Please wait…" : confirmLabel}
            </button>
            <button type="button" className="button-secondary" onClick={onCancel} disabled={pending} ref={cancelRef}>
              {cancelLabel}
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}
