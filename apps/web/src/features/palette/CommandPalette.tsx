import { lazy, Suspense, useEffect } from "react";
import { closePalette, openPalette, togglePalette, usePaletteOpen } from "./store";
import "./palette-button.css";

// The dialog (and its search) loads the first time it opens, not with the shell.
const PaletteDialog = lazy(() => import("./PaletteDialog"));

/** Ctrl-K (Cmd-K on a Mac) from every signed-in page; the dialog while open. */
export function CommandPalette() {
  const open = usePaletteOpen();
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "k") {
        // Browsers use Ctrl-K for their own search box: on a Rapport page it opens the palette.
        event.preventDefault();
        togglePalette();
      }
    };
    window.addEventListener("keydown", onKeyDown);
    return () => {
      window.removeEventListener("keydown", onKeyDown);
      closePalette();
    };
  }, []);
  if (!open) return null;
  return (
    <Suspense fallback={null}>
      <PaletteDialog />
    </Suspense>
  );
}

const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);

/** The header's way into the palette, naming its shortcut. */
export function PaletteButton() {
  return (
    <button
      type="button"
      className="button-secondary palette-button"
      aria-keyshortcuts="Control+K Meta+K"
      onClick={openPalette}
    >
      Search
      <kbd className="palette-kbd">{isMac ? "⌘K" : "Ctrl K"}</kbd>
    </button>
  );
}
