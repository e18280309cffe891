import type { ComponentType } from "react";
import { ConnectionIndicator } from "../live/ConnectionIndicator";
import { NotificationBell } from "../notifications/NotificationBell";
import { PaletteButton } from "../palette/CommandPalette";

/**
 * Controls on the right of the top bar (before the user's links), in this order.
 * Wide screens show them in the bar; at phone widths they move into the header's
 * menu with the sections. Each renders its own button(s) and keeps its own state;
 * adding one is one line here.
 */
export const HEADER_ACTIONS: readonly { key: string; Component: ComponentType }[] = [
  { key: "palette", Component: PaletteButton },
  { key: "live", Component: ConnectionIndicator },
  { key: "notifications", Component: NotificationBell },
];
