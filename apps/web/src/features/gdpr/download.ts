import { authedFetch, getAccessToken } from "../../session";

/** A failed download, with the server's own message (e.g. 410 "This export has expired; request a new one."). */
class DownloadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "DownloadError";
  }
}

/** `attachment; filename="rapport-user-data-2026-03-02.zip"` → the file name. */
function filenameFromDisposition(header: string | null): string | null {
  if (!header) return null;
  const encoded = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (encoded) {
    try {
      return decodeURIComponent(encoded[1]!.trim());
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/i.exec(header);
  const name = (plain?.[1] ?? plain?.[2])?.trim();
  // Never a path: the browser would ignore it anyway, but keep the name clean.
  return name ? name.replace(/[/\\]/g, "_") : null;
}

/**
 * Fetches a GDPR export ZIP and saves it.
 *
 * The download route wants both the signed link and the signed-in person's
 * access token (a leaked link alone is useless), so the browser cannot simply
 * navigate to the link: the file is fetched with the Authorization header
 * (refreshed and retried once on a 401, like every API call) and handed to the
 * browser as a blob behind an <a download>. Resolves with the file name.
 */
export async function downloadExportFile(url: string, fallbackName = "rapport-data.zip"): Promise<string> {
  const token = await getAccessToken();
  if (!token) throw new DownloadError("Your session ended; sign in again to download the file.", 401);
  let response: Response;
  try {
    response = await authedFetch(url, {
      headers: { authorization: `Bearer ${token}` },
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new DownloadError("Could not reach the Rapport server. Check your connection and try again.", 0);
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: unknown } | null;
    const message = typeof body?.error === "string" ? body.error : `The download failed (HTTP ${response.status}).`;
    throw new DownloadError(message, response.status);
  }
  const blob = await response.blob();
  const name = filenameFromDisposition(response.headers.get("content-disposition")) ?? fallbackName;
  const href = URL.createObjectURL(blob);
  const anchor = document.createElement("a");
  anchor.href = href;
  anchor.download = name;
  anchor.hidden = true;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // Revoking at once can cancel the save in some browsers; the blob is released a little later.
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return name;
}
