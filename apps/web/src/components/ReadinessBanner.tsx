import { useEffect, useState } from "react";

interface Readiness {
  status: "ok" | "degraded" | "down" | "unreachable";
  degraded: string[];
}

const POLL_MS = 30_000;
/** While the server cannot be reached, look again sooner. */
const UNREACHABLE_POLL_MS = 10_000;

/**
 * Polls /readyz every 30 s and says when the server's database is down or it
 * cannot be reached at all (everyone is affected), and — to operators only
 * (`showDegraded`: owners and admins) — when it runs degraded (e.g. Redis unreachable):
 * a member's work goes on, and what does fail says so where it fails.
 */
export function ReadinessBanner({ showDegraded = false }: { showDegraded?: boolean }) {
  const [readiness, setReadiness] = useState<Readiness | null>(null);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = async () => {
      clearTimeout(timer);
      let next: Readiness;
      try {
        // 503 (database down) still carries the JSON body.
        const response = await fetch("/readyz", { headers: { accept: "application/json" }, cache: "no-store" });
        const body = (await response.json()) as Partial<Readiness>;
        next = {
          status: body.status ?? (response.ok ? "ok" : "down"),
          degraded: Array.isArray(body.degraded) ? body.degraded.map(String) : [],
        };
      } catch {
        next = { status: "unreachable", degraded: [] };
      }
      if (cancelled) return;
      setReadiness(next);
      timer = setTimeout(() => void check(), next.status === "unreachable" ? UNREACHABLE_POLL_MS : POLL_MS);
    };
    void check();
    const recheck = () => void check();
    window.addEventListener("online", recheck);
    window.addEventListener("offline", recheck);
    return () => {
      cancelled = true;
      clearTimeout(timer);
      window.removeEventListener("online", recheck);
      window.removeEventListener("offline", recheck);
    };
  }, []);

  if (!readiness) return null;
  if (readiness.status === "unreachable") {
    return (
      <div className="banner banner-down" role="status">
        <strong>Offline:</strong> cannot reach the Rapport server. Changes will fail until the connection is back.
      </div>
    );
  }
  if (readiness.status === "down") {
    return (
      <div className="banner banner-down" role="status">
        <strong>Service unavailable:</strong> the database is not responding.
      </div>
    );
  }
  if (!showDegraded || readiness.degraded.length === 0) return null;
  return (
    <div className="banner banner-degraded" role="status">
      <strong>Degraded:</strong> {readiness.degraded.join("; ")}
    </div>
  );
}
