import { describe, expect, it } from "vitest";
import { base64url, randomString, s256Challenge } from "./pkce";

describe("PKCE", () => {
  it("computes the S256 challenge of RFC 7636 appendix B", async () => {
    expect(await s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("makes URL-safe verifiers of 43 characters", () => {
    const verifier = randomString(32);
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomString(32)).not.toBe(verifier);
    expect(base64url(new Uint8Array([251, 255]))).toBe("-_8");
  });
});
