import { badRequest } from "./api-error.js";

export interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}

function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c === "\\" && i + 1 < text.length) {
      current += c + (text[i + 1] ?? "");
      i++;
    } else if (c === sep) {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, "$1");

/** `fieldSelector`: comma-separated `field=value`, `field==value`, `field!=value`. */
export function parseFieldSelector(text: string, supported: Set<string>): FieldRequirement[] {
  if (text.trim() === "") return [];
  return splitUnescaped(text, ",").map((term) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/s.exec(term.trim());
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = (m[1] ?? "").trim();
    if (!supported.has(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, operator: m[2] === "!=" ? "!=" : "=", value: unescape(m[3] ?? "") };
  });
}

export function matchesFields(reqs: FieldRequirement[], fields: Record<string, string | undefined>): boolean {
  return reqs.every((r) => {
    const value = fields[r.field] ?? "";
    return r.operator === "=" ? value === r.value : value !== r.value;
  });
}
