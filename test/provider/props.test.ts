import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, expectTypeOf, it } from "vitest";
import type {
  AccessTokenSpecInput,
  ClusterTokenServerInput,
  JSONSchemaProps,
  TokenServerInput,
} from "../../src/crd/index.js";
import { tokenServerCrd } from "../../src/crd/index.js";
import { accessTokenCrd, clusterTokenServerCrd } from "../../src/crd/index.js";
import type {
  AccessTokenProps,
  ClusterTokenServerSpecProps,
  TokenServerSpecProps,
} from "../../src/provider/index.js";

/*
 * The construct props are written out by hand (for their doc comments); these tests keep them in
 * step with the CRDs. The type-level checks run in `npm run typecheck`: a field added to a CRD
 * and not to the props, or a props type the CRD would not accept, fails to compile.
 */

type Spec = AccessTokenSpecInput;
type Props = AccessTokenProps;
type Item<T> = T extends readonly (infer I)[] ? I : never;
type Inner<T> = NonNullable<T>;

describe("AccessTokenProps (compile time)", () => {
  it("is assignable to the CRD's input type, with the same fields at every level", () => {
    expectTypeOf<Props>().toExtend<Spec>();
    expectTypeOf<keyof Props>().toEqualTypeOf<keyof Spec>();
    expectTypeOf<keyof Inner<Props["serverRef"]>>().toEqualTypeOf<keyof Inner<Spec["serverRef"]>>();
    expectTypeOf<keyof Inner<Props["rotation"]>>().toEqualTypeOf<keyof Inner<Spec["rotation"]>>();
    expectTypeOf<keyof Inner<Props["credits"]>>().toEqualTypeOf<keyof Inner<Spec["credits"]>>();
    expectTypeOf<keyof Inner<Inner<Props["credits"]>["refill"]>>().toEqualTypeOf<
      keyof Inner<Inner<Spec["credits"]>["refill"]>
    >();
    expectTypeOf<keyof Inner<Props["rateLimit"]>>().toEqualTypeOf<keyof Inner<Spec["rateLimit"]>>();
    expectTypeOf<keyof Inner<Props["secretTemplate"]>>().toEqualTypeOf<keyof Inner<Spec["secretTemplate"]>>();
    expectTypeOf<keyof Inner<Inner<Props["secretTemplate"]>["keys"]>>().toEqualTypeOf<
      keyof Inner<Inner<Spec["secretTemplate"]>["keys"]>
    >();
    expectTypeOf<keyof Item<Inner<Props["rolloutRestartTargets"]>>>().toEqualTypeOf<
      keyof Item<Inner<Spec["rolloutRestartTargets"]>>
    >();
  });

  it("accepts the enums the CRD accepts, and rejects strings it does not", () => {
    expectTypeOf<Inner<Props["type"]>>().toEqualTypeOf<Inner<Spec["type"]>>();
    expectTypeOf<Inner<Props["kind"]>>().toEqualTypeOf<Inner<Spec["kind"]>>();
    expectTypeOf<Inner<Props["deletionPolicy"]>>().toEqualTypeOf<Inner<Spec["deletionPolicy"]>>();
    expectTypeOf<"orders:read">().toExtend<Item<Inner<Props["permissions"]>>>();
    expectTypeOf<"orders">().not.toExtend<Item<Inner<Props["permissions"]>>>();
  });
});

describe("server props (compile time)", () => {
  it("are assignable to the CRDs' spec input types, with the same fields", () => {
    type TS = TokenServerInput["spec"];
    type CTS = ClusterTokenServerInput["spec"];
    expectTypeOf<TokenServerSpecProps>().toExtend<TS>();
    expectTypeOf<keyof TokenServerSpecProps>().toEqualTypeOf<keyof TS>();
    expectTypeOf<keyof TokenServerSpecProps["credentialsSecretRef"]>().toEqualTypeOf<
      keyof TS["credentialsSecretRef"]
    >();
    expectTypeOf<ClusterTokenServerSpecProps>().toExtend<CTS>();
    expectTypeOf<keyof ClusterTokenServerSpecProps>().toEqualTypeOf<keyof CTS>();
    expectTypeOf<keyof ClusterTokenServerSpecProps["credentialsSecretRef"]>().toEqualTypeOf<
      keyof CTS["credentialsSecretRef"]
    >();
    expectTypeOf<keyof Inner<ClusterTokenServerSpecProps["allowedNamespaces"]>>().toEqualTypeOf<
      keyof Inner<CTS["allowedNamespaces"]>
    >();
  });
});

/*
 * Doc comments, read with the TypeScript compiler: every prop (at every level) has one, and the
 * props cover exactly the fields the CRD's OpenAPI schema declares.
 */
describe("doc comments", () => {
  const entry = fileURLToPath(new URL("../../src/provider/index.ts", import.meta.url));
  const program = ts.createProgram([entry], { strict: true, module: ts.ModuleKind.NodeNext, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry)!;
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!);

  function exportedType(name: string): ts.Type {
    const symbol = exported.find((s) => s.name === name);
    if (!symbol) throw new Error(`${name} is not exported from src/provider/index.ts`);
    return checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(symbol));
  }

  /** Props without a doc comment, and props that differ from the schema's fields, at every level. */
  function audit(type: ts.Type, schema: JSONSchemaProps, path: string): string[] {
    const problems: string[] = [];
    const props = checker.getPropertiesOfType(type);
    const names = props.map((p) => p.name).sort();
    const fields = Object.keys(schema.properties ?? {}).sort();
    if (names.join() !== fields.join())
      problems.push(`${path}: props ${names.join()} ≠ CRD ${fields.join()}`);
    for (const prop of props) {
      const at = path ? `${path}.${prop.name}` : prop.name;
      const doc = ts.displayPartsToString(prop.getDocumentationComment(checker)).trim();
      if (doc.length < 10) problems.push(`${at}: no doc comment`);
      const field = schema.properties?.[prop.name];
      if (!field) continue;
      let propType = checker.getNonNullableType(checker.getTypeOfSymbol(prop));
      let fieldSchema = field;
      if (checker.isArrayType(propType) && field.items) {
        propType = checker.getTypeArguments(propType as ts.TypeReference)[0]!;
        fieldSchema = field.items;
      }
      if (fieldSchema.type === "object" && fieldSchema.properties) {
        problems.push(...audit(propType, fieldSchema, at));
      }
    }
    return problems;
  }

  const specOf = (crd: ReturnType<typeof accessTokenCrd>) =>
    crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;

  it("document every AccessToken prop, and the props are the CRD's spec fields", () => {
    expect(audit(exportedType("AccessTokenProps"), specOf(accessTokenCrd()), "")).toEqual([]);
  });

  it("document every server prop, and the props are the CRDs' spec fields", () => {
    expect(audit(exportedType("TokenServerSpecProps"), specOf(tokenServerCrd()), "")).toEqual([]);
    expect(audit(exportedType("ClusterTokenServerSpecProps"), specOf(clusterTokenServerCrd()), "")).toEqual(
      [],
    );
  });
});
