import type { AnchorHTMLAttributes, MouseEvent } from "react";
import { navigate } from "../../router";

export interface AppLinkProps extends AnchorHTMLAttributes<HTMLAnchorElement> {
  href: string;
}

/** An in-app link: plain clicks use the History API; modified clicks (new tab…) stay native. */
export function AppLink({ href, onClick, ...rest }: AppLinkProps) {
  return (
    <a
      {...rest}
      href={href}
      onClick={(event: MouseEvent<HTMLAnchorElement>) => {
        onClick?.(event);
        if (
          event.defaultPrevented ||
          event.button !== 0 ||
          event.metaKey ||
          event.ctrlKey ||
          event.shiftKey ||
          event.altKey
        )
          return;
        if (rest.target === "_blank") return;
        event.preventDefault();
        navigate(href);
      }}
    />
  );
}
