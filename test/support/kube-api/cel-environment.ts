import { Environment } from "@marcbachmann/cel-js";

type Scalar = bigint | number | string;

function compare(a: Scalar, b: Scalar): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function regexOf(pattern: string): RegExp {
  return new RegExp(pattern, "g");
}

/**
 * The CEL environment custom resource validation rules run in: cel-js's standard library plus the
 * Kubernetes extension functions it lacks (strings, lists and regex libraries).
 * `self` and `oldSelf` are dynamically typed, as values come from the object being validated.
 */
export function kubernetesCelEnvironment(): Environment {
  return (
    new Environment({ unlistedVariablesAreDyn: true })
      // strings library
      .registerFunction("string.replace(string, string): string", (s: string, a: string, b: string) =>
        s.split(a).join(b),
      )
      .registerFunction(
        "string.replace(string, string, int): string",
        (s: string, a: string, b: string, n: bigint) => {
          let out = s;
          let from = 0;
          for (let i = 0n; n < 0n || i < n; i++) {
            const at = out.indexOf(a, from);
            if (at < 0) break;
            out = out.slice(0, at) + b + out.slice(at + a.length);
            from = at + b.length;
            if (a === "") from += 1;
          }
          return out;
        },
      )
      .registerFunction("string.charAt(int): string", (s: string, i: bigint) => [...s][Number(i)] ?? "")
      .registerFunction("string.reverse(): string", (s: string) => [...s].reverse().join(""))
      // regex library
      .registerFunction(
        "string.find(string): string",
        (s: string, p: string) => regexOf(p).exec(s)?.[0] ?? "",
      )
      .registerFunction("string.findAll(string): list<string>", (s: string, p: string) =>
        [...s.matchAll(regexOf(p))].map((m) => m[0]),
      )
      .registerFunction("string.findAll(string, int): list<string>", (s: string, p: string, n: bigint) => {
        const all = [...s.matchAll(regexOf(p))].map((m) => m[0]);
        return n < 0n ? all : all.slice(0, Number(n));
      })
      // lists library
      .registerFunction("list<dyn>.isSorted(): bool", (l: Scalar[]) =>
        l.every((v, i) => i === 0 || compare(l[i - 1] as Scalar, v) <= 0),
      )
      .registerFunction("list<dyn>.sum(): dyn", (l: Scalar[]) =>
        l.length === 0 ? 0n : l.reduce((a, b) => (a as number) + (b as number)),
      )
      .registerFunction("list<dyn>.min(): dyn", (l: Scalar[]) =>
        l.reduce((a, b) => (compare(a, b) <= 0 ? a : b)),
      )
      .registerFunction("list<dyn>.max(): dyn", (l: Scalar[]) =>
        l.reduce((a, b) => (compare(a, b) >= 0 ? a : b)),
      )
      .registerFunction("list<dyn>.indexOf(dyn): int", (l: unknown[], v: unknown) => BigInt(l.indexOf(v)))
      .registerFunction("list<dyn>.lastIndexOf(dyn): int", (l: unknown[], v: unknown) =>
        BigInt(l.lastIndexOf(v)),
      )
  );
}
