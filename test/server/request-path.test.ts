import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizePath, resolvePath } from "../../src/server/domain/request-path.js";

// The segments that matter to normalisation, mixed with ordinary ones.
const segment = fc.oneof(
  fc.constantFrom(
    "",
    ".",
    "..",
    "%2e%2e",
    "%2F",
    "%",
    "%zz",
    "a%20b",
    "?q=1",
    "#f",
    "\\",
    "a\u0000b",
    ".well-known",
    "v1",
  ),
  fc.stringMatching(/^[a-zA-Z0-9._~-]{1,8}$/),
  fc.string({ maxLength: 6 }),
);
const path = fc.array(segment, { maxLength: 8 }).map((parts) => `/${parts.join("/")}`);

describe("normalizePath", () => {
  it("answers exactly what the full decode-and-resolve answers, for any path", () => {
    fc.assert(
      fc.property(fc.oneof(path, fc.string({ maxLength: 40 })), (raw) => {
        expect(normalizePath(raw)).toBe(resolvePath(raw));
      }),
      { numRuns: 5000, seed: 20261123 },
    );
  });

  it("takes plain paths as they are and resolves the rest", () => {
    expect(normalizePath("/orders/42")).toBe("/orders/42");
    expect(normalizePath("/orders/42/")).toBe("/orders/42");
    expect(normalizePath("/public/../admin")).toBe("/admin");
    expect(normalizePath("/public/%2e%2e/admin")).toBe("/admin");
    expect(normalizePath("//orders//42?x=1")).toBe("/orders/42");
    expect(normalizePath("/a%zz")).toBeUndefined();
    expect(normalizePath("/a%00b")).toBeUndefined();
  });
});
