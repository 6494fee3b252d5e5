import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { covers, foldPath, pathShape, prefixOf } from "../../src/server/domain/request-path.js";

// The segments that matter to how a path is read, mixed with ordinary ones.
const segment = fc.oneof(
  fc.constantFrom(
    "",
    ".",
    "..",
    "%2e%2e",
    "%2E",
    "%2F",
    "%2f",
    "%5c",
    "%25",
    "%",
    "%zz",
    "%C3%A9",
    "%C3",
    "a%20b",
    "a;b=1",
    "..;",
    "\\",
    "a\u0000b",
    ".well-known",
    "Admin",
    "%61dmin",
    "v1",
  ),
  fc.stringMatching(/^[a-zA-Z0-9._~-]{1,8}$/),
  fc.string({ maxLength: 6 }),
);
const path = fc.array(segment, { maxLength: 8 }).map((parts) => `/${parts.join("/")}`);

/** What a decoding upstream makes of a path: each segment decoded on its own. */
function decodedSegments(p: string): string[] | undefined {
  try {
    return p.split("/").map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

describe("pathShape", () => {
  it("accepts only paths that every reading splits into the same segments", () => {
    fc.assert(
      fc.property(fc.oneof(path, fc.string({ maxLength: 40 })), (raw) => {
        const shape = pathShape(raw);
        if (typeof shape === "object") return;
        const segments = raw.split("/");
        expect(segments[0]).toBe("");
        // No empty segment but a trailing one, no dot segment, no ; parameter, backslash or NUL.
        expect(segments.slice(1, -1)).not.toContain("");
        expect(segments).not.toContain(".");
        expect(segments).not.toContain("..");
        expect([...raw].every((c) => c > " " && c < "\u007f" && c !== ";" && c !== "\\")).toBe(true);
        // Decoding changes no segment boundary and makes no dot segment or parameter.
        const decoded = decodedSegments(raw);
        if (decoded) {
          expect(decoded.join("/").split("/")).toHaveLength(segments.length);
          expect(decoded).not.toContain("..");
          expect(decoded).not.toContain(".");
          expect([...decoded.join("/")].some((c) => ";\\%\u0000".includes(c))).toBe(false);
        }
        // A plain path reads the same decoded and case-folded.
        if (shape === "plain") expect(foldPath(raw)).toBe(raw);
      }),
      { numRuns: 5000 },
    );
  });

  it("refuses what proxies and upstreams read differently, and says why", () => {
    expect(pathShape("/orders/42")).toBe("plain");
    expect(pathShape("/orders/42/")).toBe("plain");
    expect(pathShape("/")).toBe("plain");
    expect(pathShape("/.well-known/x")).toBe("plain");
    expect(pathShape("/Orders")).toBe("cased");
    expect(pathShape("/a%20b")).toBe("cased");
    const refused = (p: string) => {
      const shape = pathShape(p);
      return typeof shape === "object" ? shape.refused : shape;
    };
    expect(refused("/public/../admin")).toContain("dot segment");
    expect(refused("/public/%2e%2e/admin")).toContain("percent-encodes");
    expect(refused("//admin")).toContain("empty segment");
    expect(refused("/a%2Fb")).toContain("percent-encodes");
    expect(refused("/admin;x=1")).toContain("; parameter");
    expect(refused("/admin\\x")).toContain("backslash");
    expect(refused("/a%zz")).toContain("malformed");
    expect(refused("/a%0")).toContain("malformed");
    expect(refused("/a%00b")).toContain("percent-encodes");
    expect(refused("/a%2561")).toContain("percent-encodes");
    expect(refused("admin")).toContain("start with /");
    expect(refused("/a b")).toContain("must be percent-encoded");
  });
});

describe("covers", () => {
  it("matches prefixes segment-wise, with or without a trailing slash", () => {
    for (const p of ["/orders", "/orders/"]) {
      const prefix = prefixOf(p);
      expect(covers(prefix, "/orders")).toBe(true);
      expect(covers(prefix, "/orders/")).toBe(true);
      expect(covers(prefix, "/orders/1")).toBe(true);
      expect(covers(prefix, "/ordersx")).toBe(false);
      expect(covers(prefix, "/order")).toBe(false);
    }
    expect(covers(prefixOf("/"), "/anything")).toBe(true);
    expect(covers(prefixOf("/"), "/")).toBe(true);
  });
});
