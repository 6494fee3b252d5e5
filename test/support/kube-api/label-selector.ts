import { badRequest } from "./api-error.js";

export type LabelOperator = "=" | "!=" | "in" | "notin" | "exists" | "!" | ">" | "<";

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

const IDENT = /[A-Za-z0-9_./-]/;

/** Lexes and parses `labelSelector` the way k8s.io/apimachinery/pkg/labels does. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const tokens = lex(text);
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const next = (): string | undefined => tokens[i++];
  const fail = (why: string): never => {
    throw badRequest(`unable to parse requirement: ${why}`);
  };
  const isIdent = (t: string | undefined): t is string => t !== undefined && /^[A-Za-z0-9_./-]+$/.test(t);
  while (i < tokens.length) {
    let req: LabelRequirement;
    if (peek() === "!") {
      next();
      const key = next();
      if (!isIdent(key)) fail(`expected a label key after "!", found ${JSON.stringify(key ?? "")}`);
      req = { key: key as string, operator: "!", values: [] };
    } else {
      const key = next();
      if (!isIdent(key)) fail(`found ${JSON.stringify(key ?? "")}, expected a label key`);
      const op = peek();
      if (op === undefined || op === ",") {
        req = { key: key as string, operator: "exists", values: [] };
      } else if (op === "=" || op === "==" || op === "!=") {
        next();
        const value = peek() === undefined || peek() === "," ? "" : next();
        if (!isIdent(value) && value !== "")
          fail(`found ${JSON.stringify(value ?? "")}, expected a label value`);
        req = { key: key as string, operator: op === "!=" ? "!=" : "=", values: [value ?? ""] };
      } else if (op === "in" || op === "notin") {
        next();
        if (next() !== "(") fail(`expected "(" after ${op}`);
        const values: string[] = [];
        for (;;) {
          const t = next();
          if (t === ")") break;
          if (t === ",") {
            if (peek() === "," || peek() === ")") values.push("");
            continue;
          }
          if (!isIdent(t)) fail(`found ${JSON.stringify(t ?? "")}, expected a label value or ")"`);
          values.push(t as string);
        }
        req = { key: key as string, operator: op, values };
      } else if (op === ">" || op === "<") {
        next();
        const value = next();
        if (value === undefined || !/^-?[0-9]+$/.test(value)) fail(`for ${op}, the value must be an integer`);
        req = { key: key as string, operator: op, values: [value as string] };
      } else {
        return fail(`found ${JSON.stringify(op)}, expected one of "=", "==", "!=", "in", "notin", ","`);
      }
    }
    validateKey(req.key);
    reqs.push(req);
    const sep = next();
    if (sep !== undefined && sep !== ",") fail(`found ${JSON.stringify(sep)}, expected ","`);
  }
  return reqs;
}

function validateKey(key: string): void {
  const parts = key.split("/");
  const name = parts[parts.length - 1] ?? "";
  if (
    parts.length > 2 ||
    name.length === 0 ||
    name.length > 63 ||
    !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name)
  ) {
    throw badRequest(`unable to parse requirement: invalid label key ${JSON.stringify(key)}`);
  }
}

function lex(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (c === " " || c === "\t") {
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push(c);
      i++;
    } else if (c === "!" && text[i + 1] === "=") {
      tokens.push("!=");
      i += 2;
    } else if (c === "=" && text[i + 1] === "=") {
      tokens.push("==");
      i += 2;
    } else if (c === "!" || c === "=" || c === ">" || c === "<") {
      tokens.push(c);
      i++;
    } else if (IDENT.test(c)) {
      let j = i;
      while (j < text.length && IDENT.test(text[j] ?? "")) j++;
      tokens.push(text.slice(i, j));
      i = j;
    } else {
      throw badRequest(`unable to parse requirement: unexpected character ${JSON.stringify(c)}`);
    }
  }
  return tokens;
}

export function matchesLabels(reqs: LabelRequirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case "exists":
        return has;
      case "!":
        return !has;
      case "=":
      case "in":
        return has && r.values.includes(value ?? "");
      case "!=":
      case "notin":
        return !has || !r.values.includes(value ?? "");
      case ">":
      case "<": {
        if (!has || !/^-?[0-9]+$/.test(value ?? "")) return false;
        const n = Number(value);
        const limit = Number(r.values[0]);
        return r.operator === ">" ? n > limit : n < limit;
      }
    }
  });
}
