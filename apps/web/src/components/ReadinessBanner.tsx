import { useEffect, useState } from "react";

interface Readiness {
  status: "ok" | "degraded" | "down";
  degraded: string[];
}

const POLL_MS = 30_000;

/** Polls /readyz and says when the server runs without Redis (or worse). */
export function ReadinessBanner() {
  const [readiness, setReadiness] = useState<Readiness | null>(null);

  useEffect(() => {
    let cancelled = false;
    const check = async () => {
      try {
        // 503 (database down) still carries the JSON body.
        const response = await fetch("/readyz", { headers: { accept: "application/json" }, cache: "no-store" });
        const body = (await response.json()) as Partial<Readiness>;
        if (!cancelled) {
          setReadiness({
            status: body.status ?? (response.ok ? "ok" : "down"),
            degraded: Array.isArray(body.degraded) ? body.degraded.map(String) : [],
          });
        }
      } catch {
        if (!cancelled) setReadiness(null);
      }
    };
    void check();
    const timer = setInterval(check, POLL_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, []);

  if (!readiness) return null;
  if (readiness.status === "down") {
    return (
      <div className="banner banner-down" role="status">
        <strong>Service unavailable:</strong> the database is not responding.
      </div>
    );
  }
  if (readiness.degraded.length === 0) return null;
  return (
    <div className="banner banner-degraded" role="status">
      <strong>Degraded:</strong> {readiness.degraded.join("; ")}
    </div>
  );
}
