import { useLocation } from "@tanstack/react-router";
import { useCallback, useEffect, useRef, useState } from "react";
import { useDismiss } from "../../components/hooks";

/**
 * A top-bar disclosure (a button showing a panel): open state and the refs for its
 * root and button; it closes on navigation, Escape (focus back on the button) and
 * clicks or focus outside its root.
 */
export function useDisclosure<Root extends HTMLElement>() {
  const [open, setOpen] = useState(false);
  const close = useCallback(() => setOpen(false), []);
  const rootRef = useRef<Root>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const pathname = useLocation({ select: (location) => location.pathname });
  // biome-ignore lint/correctness/useExhaustiveDependencies: closes whenever the page changes
  useEffect(() => setOpen(false), [pathname]);
  useDismiss(open, close, rootRef, buttonRef);
  return { open, toggle: () => setOpen((value) => !value), close, rootRef, buttonRef };
}
