/** Proof Key for Code Exchange (RFC 7636): a random verifier and its S256 challenge. */

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A URL-safe random string from `size` random bytes (43 characters for 32 bytes). */
export function randomString(size = 32): string {
  const bytes = new Uint8Array(size);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

/** BASE64URL(SHA256(ASCII(verifier))), the code_challenge of method S256. */
export async function s256Challenge(verifier: string): Promise<string> {
  if (!globalThis.crypto?.subtle) {
    throw new Error("sign-in needs a secure context (https:// or http://localhost)");
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}
