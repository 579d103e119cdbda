/**
 * The URL to give a desktop tool for one of our downloads. With sign-in on the tool cannot
 * send the token, so the gateway signs a short-lived URL for it (POST /links).
 */
export async function toolUrl(url: string, authorization: string | null): Promise<string> {
  if (!authorization) return url;
  const target = new URL(url, window.location.href);
  const response = await fetch("/links", {
    method: "POST",
    headers: { Authorization: authorization, "Content-Type": "application/json" },
    body: JSON.stringify({ url: `${target.pathname}${target.search}` }),
  });
  const body = (await response.json().catch(() => ({}))) as { url?: unknown; message?: unknown };
  if (!response.ok || typeof body.url !== "string") {
    throw new Error(typeof body.message === "string" ? body.message : `the gateway answered HTTP ${response.status}`);
  }
  return body.url;
}
