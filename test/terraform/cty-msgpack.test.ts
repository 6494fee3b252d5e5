import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ctyTypeJson,
  decodeJson,
  decodeMsgpack,
  encodeMsgpack,
  parseCtyType,
  UNKNOWN,
  type CtyType,
  type Value,
} from "../../src/terraform/index.js";

/*
 * cty's msgpack encoding as Terraform sends DynamicValues: a round trip through our
 * encoder and decoder keeps every value of every type (unknowns and nulls at any depth,
 * dynamic values carrying their type), and fixed byte sequences match what cty writes.
 */

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);

const typeArb: fc.Arbitrary<CtyType> = fc.letrec<{ type: CtyType }>((tie) => ({
  type: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<CtyType>("string", "number", "bool", "dynamic"),
    tie("type").map((t): CtyType => ["list", t]),
    tie("type").map((t): CtyType => ["set", t]),
    tie("type").map((t): CtyType => ["map", t]),
    fc.dictionary(name, tie("type"), { maxKeys: 4 }).map((attrs): CtyType => ["object", attrs]),
    fc.array(tie("type"), { maxLength: 3 }).map((items): CtyType => ["tuple", items]),
  ),
})).type;

const concreteType = typeArb.filter((t) => t !== "dynamic");

const number = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
);

function valueOf(type: CtyType, depth = 0): fc.Arbitrary<Value> {
  const known = knownValueOf(type, depth);
  return fc.oneof(
    { weight: 6, arbitrary: known },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant(UNKNOWN) },
  );
}

function knownValueOf(type: CtyType, depth: number): fc.Arbitrary<Value> {
  if (type === "string") return fc.string({ unit: "grapheme", maxLength: 20 });
  if (type === "number") return number;
  if (type === "bool") return fc.boolean();
  if (type === "dynamic")
    return depth > 2
      ? fc.string().map((value) => ({ dynamicType: "string", value }))
      : concreteType.chain((dynamicType) =>
          knownValueOf(dynamicType, depth + 1).map((value) => ({ dynamicType, value })),
        );
  const [kind, inner] = type;
  if (kind === "list" || kind === "set") return fc.array(valueOf(inner, depth + 1), { maxLength: 3 });
  if (kind === "map") return fc.dictionary(name, valueOf(inner, depth + 1), { maxKeys: 3 });
  if (kind === "tuple") return fc.tuple(...(inner as CtyType[]).map((t) => valueOf(t, depth + 1)));
  const attrs = inner as Record<string, CtyType>;
  return fc.record(Object.fromEntries(Object.entries(attrs).map(([k, t]) => [k, valueOf(t, depth + 1)])));
}

const typed = typeArb.chain((type) => valueOf(type).map((value) => ({ type, value })));

describe("cty msgpack codec", () => {
  it("round-trips every value of every type", () => {
    fc.assert(
      fc.property(typed, ({ type, value }) => {
        expect(decodeMsgpack(type, encodeMsgpack(type, value))).toEqual(value);
      }),
      { numRuns: 400 },
    );
  });

  it("round-trips types through their JSON form", () => {
    fc.assert(
      fc.property(typeArb, (type) => {
        expect(parseCtyType(JSON.parse(ctyTypeJson(type)))).toEqual(type);
      }),
    );
  });

  it("writes object attributes and map keys in sorted order whatever the input order", () => {
    fc.assert(
      fc.property(fc.dictionary(name, fc.string(), { minKeys: 1, maxKeys: 6 }), (entries) => {
        const reversed = Object.fromEntries(Object.entries(entries).reverse());
        const type: CtyType = ["map", "string"];
        expect(Buffer.from(encodeMsgpack(type, reversed))).toEqual(Buffer.from(encodeMsgpack(type, entries)));
      }),
    );
  });

  it("matches cty's bytes for unknowns, dynamic values and objects", () => {
    expect(Buffer.from(encodeMsgpack("string", UNKNOWN)).toString("hex")).toBe("d40000");
    // [bin("\"string\""), "hi"]
    expect(
      Buffer.from(encodeMsgpack("dynamic", { dynamicType: "string", value: "hi" })).toString("hex"),
    ).toBe(`92c408${Buffer.from('"string"').toString("hex")}a26869`);
    // {"a": 1, "b": nil}: every attribute, sorted
    expect(
      Buffer.from(encodeMsgpack(["object", { b: "string", a: "number" }], { a: 1 })).toString("hex"),
    ).toBe("82a16101a162c0");
  });

  it("reads refined unknowns (extension 12) and numbers cty sent as text", () => {
    // ext8, 3 bytes, type 12, {1: false}: "unknown, but not null"
    expect(decodeMsgpack("string", Buffer.from("c7030c8101c2", "hex"))).toBe(UNKNOWN);
    expect(decodeMsgpack("number", Buffer.from([0xa4, ...Buffer.from("1e40")]))).toBe(1e40);
    expect(decodeMsgpack("number", Buffer.from("cf0000000100000000", "hex"))).toBe(2 ** 32);
  });

  it("reads stored state JSON, dynamic values as {value, type}", () => {
    const type: CtyType = ["object", { id: "string", extra: "dynamic", tags: ["set", "string"] }];
    expect(
      decodeJson(type, {
        id: "x",
        extra: { value: ["a", 1], type: ["tuple", ["string", "number"]] },
        tags: ["t"],
      }),
    ).toEqual({
      id: "x",
      extra: { dynamicType: ["tuple", ["string", "number"]], value: ["a", 1] },
      tags: ["t"],
    });
    expect(decodeJson(type, { id: "y" })).toEqual({ id: "y", extra: null, tags: null });
  });

  it("names the attribute a mistyped value is at", () => {
    expect(() =>
      decodeMsgpack(
        ["object", { count: "number" }],
        encodeMsgpack(["object", { count: "string" }], { count: "x" }),
      ),
    ).toThrow(/count: expected number/);
  });
});
