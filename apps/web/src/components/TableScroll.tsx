import { useEffect, useRef, useState, type HTMLAttributes } from "react";

/**
 * A wide table's scroll container that shows it scrolls: a shadow on each side
 * that has more columns beyond it (and "Scroll for more" under it while there are
 * some to the right). Props go to the scrolling element (role="region",
 * tabIndex={0} and a label make it keyboard-scrollable).
 */
export function TableScroll({ className, children, ...props }: HTMLAttributes<HTMLDivElement>) {
  const ref = useRef<HTMLDivElement>(null);
  const [more, setMore] = useState({ left: false, right: false });
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const update = () => {
      const left = element.scrollLeft > 1;
      const right = element.scrollLeft + element.clientWidth < element.scrollWidth - 1;
      setMore((current) => (current.left === left && current.right === right ? current : { left, right }));
    };
    update();
    element.addEventListener("scroll", update, { passive: true });
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(update);
    observer?.observe(element);
    if (element.firstElementChild) observer?.observe(element.firstElementChild);
    return () => {
      element.removeEventListener("scroll", update);
      observer?.disconnect();
    };
  }, []);
  return (
    <>
      <div className="table-scroll" data-more-left={more.left || undefined} data-more-right={more.right || undefined}>
        <div
          ref={ref}
          className={className ? `table-wrap ${className}` : "table-wrap"}
          // A table that scrolls can be scrolled from the keyboard too.
          tabIndex={more.left || more.right ? 0 : undefined}
          {...props}
        >
          {children}
        </div>
      </div>
      {more.right && (
        <p className="table-scroll-hint" aria-hidden="true">
          Scroll for more →
        </p>
      )}
    </>
  );
}
