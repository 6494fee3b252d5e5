import { describe, expect, it } from "vitest";
import {
  allows,
  covers,
  effectivePermissions,
  formatDuration,
  generateToken,
  inspectToken,
  isPermission,
  parseDuration,
  TOKEN_LENGTH,
} from "../../src/core/index.js";

describe("durations", () => {
  it("parses single and compound durations", () => {
    expect(parseDuration("30d")).toBe(30 * 86_400_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("2w")).toBe(14 * 86_400_000);
  });
  it("rejects malformed durations", () => {
    for (const bad of ["", "30", "d", "1x", "-1d", "1.5h", "unlimited", " 1d"]) {
      expect(parseDuration(bad), bad).toBeUndefined();
    }
  });
  it("formats milliseconds back", () => {
    expect(formatDuration(90_061_000)).toBe("1d1h1m1s");
    expect(parseDuration(formatDuration(123_456_789))).toBe(123_456_789);
  });
});

describe("permissions", () => {
  it("validates the grammar", () => {
    expect(isPermission("orders:read")).toBe(true);
    expect(isPermission("*:*")).toBe(true);
    expect(isPermission("content-types.v2:delete")).toBe(true);
    for (const bad of ["orders", "orders:write", ":read", "or ders:read", "orders:read:x", "-a:read"]) {
      expect(isPermission(bad), bad).toBe(false);
    }
  });
  it("derives permissions from the type", () => {
    expect(effectivePermissions("read-only", ["x:create"])).toEqual(["*:read"]);
    expect(effectivePermissions("full-access", [])).toEqual(["*:*"]);
    expect(effectivePermissions("custom", ["a:read"])).toEqual(["a:read"]);
  });
  it("checks a single permission with wildcards", () => {
    expect(allows(["orders:read"], "orders", "read")).toBe(true);
    expect(allows(["orders:read"], "orders", "update")).toBe(false);
    expect(allows(["*:read"], "anything", "read")).toBe(true);
    expect(allows(["orders:*"], "orders", "delete")).toBe(true);
    expect(allows(["orders:*"], "articles", "delete")).toBe(false);
  });
  it("refuses escalation", () => {
    expect(covers(["*:*"], ["orders:*", "*:read"])).toBe(true);
    expect(covers(["*:read"], ["orders:read"])).toBe(true);
    expect(covers(["orders:read"], ["*:read"])).toBe(false);
    expect(covers(["orders:read", "orders:create", "orders:update", "orders:delete"], ["orders:*"])).toBe(
      true,
    );
    expect(covers(["orders:read"], ["orders:*"])).toBe(false);
  });
});

describe("token format", () => {
  it("generates well-formed tokens of both kinds", () => {
    const s = generateToken("secret");
    const p = generateToken("publishable");
    expect(s).toMatch(/^tps_[0-9A-Za-z]+$/);
    expect(p).toMatch(/^tpp_/);
    expect(s).toHaveLength(TOKEN_LENGTH);
    expect(inspectToken(s)).toEqual({ ok: true, kind: "secret" });
    expect(inspectToken(p)).toEqual({ ok: true, kind: "publishable" });
  });
  it("does not repeat", () => {
    const seen = new Set(Array.from({ length: 1000 }, () => generateToken()));
    expect(seen.size).toBe(1000);
  });
  it("rejects typos offline", () => {
    const t = generateToken();
    const flipped = t.slice(0, 10) + (t[10] === "a" ? "b" : "a") + t.slice(11);
    expect(inspectToken(flipped)).toEqual({ ok: false, reason: "checksum" });
    expect(inspectToken("xxx_" + t.slice(4))).toEqual({ ok: false, reason: "prefix" });
    expect(inspectToken(t + "a")).toEqual({ ok: false, reason: "length" });
    expect(inspectToken(t.slice(0, 20) + "é" + t.slice(21))).toEqual({ ok: false, reason: "charset" });
  });
});
