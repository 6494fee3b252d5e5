import { describe, expect, it } from "vitest";
import { ApiError } from "../support/kube-api/api-error.js";
import { kubernetesCelEnvironment } from "../support/kube-api/cel-environment.js";
import { applyJsonPatch } from "../support/kube-api/json-patch.js";
import type { Json, JsonObject } from "../support/kube-api/json.js";
import { matchesLabels, parseLabelSelector } from "../support/kube-api/label-selector.js";
import { applyMergePatch } from "../support/kube-api/merge-patch.js";
import { FieldSet } from "../support/kube-api/field-path.js";
import { fieldSetOf } from "../support/kube-api/object-fields.js";
import { WORKLOAD } from "../support/kube-api/merge-structure.js";

describe("JSON merge patch (RFC 7386 appendix A)", () => {
  const cases: [Json, Json, Json][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [
      ["a", "b"],
      ["c", "d"],
      ["c", "d"],
    ],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)("%j + %j = %j", (target, patch, result) => {
    expect(applyMergePatch(target, patch)).toEqual(result);
  });

  it("treats __proto__ as an ordinary key", () => {
    const patched = applyMergePatch(
      {},
      JSON.parse('{"__proto__": {"polluted": true}}') as Json,
    ) as JsonObject;
    expect(Object.keys(patched)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("JSON patch (RFC 6902)", () => {
  const doc = { foo: ["bar", "baz"], "a/b": 1, "m~n": 2 };
  it("applies add, remove, replace, move, copy and test with escaped pointers", () => {
    const result = applyJsonPatch(doc, [
      { op: "add", path: "/foo/1", value: "qux" },
      { op: "remove", path: "/foo/0" },
      { op: "replace", path: "/a~1b", value: 3 },
      { op: "move", from: "/m~0n", path: "/moved" },
      { op: "copy", from: "/foo", path: "/copy" },
      { op: "add", path: "/foo/-", value: "end" },
      { op: "test", path: "/copy", value: ["qux", "baz"] },
    ]);
    expect(result).toEqual({ foo: ["qux", "baz", "end"], "a/b": 3, moved: 2, copy: ["qux", "baz"] });
    expect(doc.foo).toEqual(["bar", "baz"]);
  });

  it("fails with 422 on a failed test and 400 on a malformed patch", () => {
    const status = (fn: () => unknown): number => {
      try {
        fn();
      } catch (err) {
        return err instanceof ApiError ? err.code : -1;
      }
      return 0;
    };
    expect(status(() => applyJsonPatch(doc, [{ op: "test", path: "/a~1b", value: 2 }]))).toBe(422);
    expect(status(() => applyJsonPatch(doc, [{ op: "remove", path: "/nope" }]))).toBe(422);
    expect(status(() => applyJsonPatch(doc, [{ op: "jump", path: "/x" }]))).toBe(400);
    expect(status(() => applyJsonPatch(doc, { op: "add" }))).toBe(400);
  });
});

describe("label selectors", () => {
  const labels = { app: "web", tier: "front", "example.com/owner": "me" };
  it.each([
    ["app=web", true],
    ["app==web", true],
    ["app!=web", false],
    ["app in (web,api)", true],
    ["app notin (web)", false],
    ["missing notin (x)", true],
    ["missing!=x", true],
    ["app", true],
    ["!app", false],
    ["!missing", true],
    ["example.com/owner=me,tier", true],
    ["tier=back,app=web", false],
    ["", true],
  ])("%s matches: %s", (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it.each(["app in web", "app=(x", "=x", "a b", "app in (a", "Bad Key=1"])(
    "rejects %j with 400",
    (selector) => {
      expect(() => parseLabelSelector(selector)).toThrow(ApiError);
    },
  );
});

describe("managed field sets", () => {
  it("keys containers by name and env by name, as structured-merge-diff does", () => {
    const set = fieldSetOf(
      {
        spec: {
          replicas: 1,
          template: { spec: { containers: [{ name: "app", image: "x", env: [{ name: "A", value: "1" }] }] } },
        },
      },
      WORKLOAD,
    );
    expect(set.toFieldsV1()).toEqual({
      "f:spec": {
        "f:replicas": {},
        "f:template": {
          "f:spec": {
            "f:containers": {
              'k:{"name":"app"}': {
                ".": {},
                "f:name": {},
                "f:image": {},
                "f:env": { 'k:{"name":"A"}': { ".": {}, "f:name": {}, "f:value": {} } },
              },
            },
          },
        },
      },
    });
    expect(FieldSet.fromFieldsV1(set.toFieldsV1()).equals(set)).toBe(true);
  });
});

describe("CEL environment", () => {
  const env = kubernetesCelEnvironment();
  it.each([
    ['"a,b,c".split(",")', ["a", "b", "c"]],
    ['"aXbXc".replace("X", "-")', "a-b-c"],
    ['"aXbXc".replace("X", "-", 1)', "a-bXc"],
    ['"Hello".lowerAscii()', "hello"],
    ['"hello".charAt(1)', "e"],
    ['"hello".substring(1, 3)', "el"],
    ['"hello".indexOf("l")', 2n],
    ['"hello".lastIndexOf("l")', 3n],
    ['"abc".reverse()', "cba"],
    ['"orders:read".matches("^[a-z]+:(read|write)$")', true],
    ['"a1b22".findAll("[0-9]+")', ["1", "22"]],
    ['"a1b22".find("[0-9]+")', "1"],
    ['int("42") + 1', 43n],
    ["[1, 2, 3].isSorted()", true],
    ["[3, 1, 2].max()", 3n],
    ["[3, 1, 2].min()", 1n],
    ["[1, 2, 3].sum()", 6n],
    ['["a", "b"].indexOf("b")', 1n],
    ['self.p.all(x, x.endsWith(":read")) && self.p.exists(x, x.startsWith("o"))', true],
    ["has(self.q) || size(self.p) == 2", true],
  ])("%s", (expr, expected) => {
    expect(env.evaluate(expr, { self: { p: ["orders:read", "articles:read"] } })).toEqual(expected);
  });
});
