/**
 * The placeholder for content that is loading, in the shape of that content (a
 * list's rows, a table, figure tiles, a chart, a page), so nothing jumps when it
 * arrives. Screen readers hear `label` ("Loading contacts…") once, politely.
 */
export type SkeletonShape = "list" | "table" | "figures" | "chart" | "text" | "page";

export function Skeleton({ shape, rows = 3, label }: { shape: SkeletonShape; rows?: number; label: string }) {
  return (
    <div className={`skeleton skeleton-${shape}`} role="status" aria-busy="true">
      <span className="visually-hidden">{label}</span>
      <div aria-hidden="true">{body(shape, rows)}</div>
    </div>
  );
}

const bar = (key: number | string, className = "") => <span key={key} className={`sk-bar ${className}`} />;
const repeat = <T,>(count: number, each: (index: number) => T) => Array.from({ length: count }, (_, i) => each(i));

function body(shape: SkeletonShape, rows: number) {
  switch (shape) {
    case "list":
      return repeat(rows, (i) => (
        <div key={i} className="sk-row">
          <span className="sk-dot" />
          <span className="sk-lines">
            {bar(1, i % 2 ? "sk-w60" : "sk-w40")}
            {bar(2, "sk-w80 sk-thin")}
          </span>
        </div>
      ));
    case "table":
      return (
        <>
          <div className="sk-row sk-head">{repeat(4, (j) => bar(j, "sk-cell sk-thin"))}</div>
          {repeat(rows, (i) => (
            <div key={i} className="sk-row">
              {repeat(4, (j) => bar(j, `sk-cell ${(i + j) % 3 === 0 ? "sk-w60" : ""}`))}
            </div>
          ))}
        </>
      );
    case "figures":
      return (
        <div className="sk-tiles">
          {repeat(rows, (i) => (
            <span key={i} className="sk-tile" />
          ))}
        </div>
      );
    case "chart":
      return <span className="sk-block" />;
    case "text":
      return repeat(rows, (i) => bar(i, i === rows - 1 ? "sk-w60" : "sk-w100"));
    case "page":
      return (
        <>
          {bar("title", "sk-title")}
          {repeat(rows, (i) => bar(i, i % 3 === 2 ? "sk-w60" : "sk-w100"))}
        </>
      );
  }
}
