import * as z from "zod";

/**
 * The wording of every validation failure a user can see, in one place. Installed as zod's
 * global error map, so it covers every schema of the contract wherever it is parsed (the
 * Express routes, the fast path, the client, the operator). A message a schema sets itself
 * ("must be a duration such as 90s") takes precedence over this map, as zod defines.
 */
export function fieldMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      if (issue.input === null) return "must not be null";
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case "too_small":
      return tooSmall(issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case "too_big":
      return tooBig(issue.origin, Number(issue.maximum), issue.inclusive !== false);
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `must be one of ${issue.values.map(String).join(", ")}`;
    case "invalid_format":
      return FORMAT_MESSAGES[issue.format] ?? `must be a valid ${issue.format}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return "is not a known field";
    case "invalid_key":
      return "has a key that is not allowed";
    case "invalid_element":
      return "has an entry that is not allowed";
    case "invalid_union":
    case "custom":
      return "is not valid";
  }
  return undefined;
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  bigint: "an integer",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  date: "a date",
  null: "null",
};

const FORMAT_MESSAGES: Record<string, string> = {
  uuid: "must be a UUID",
  guid: "must be a UUID",
  datetime: "must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z",
  email: "must be an email address",
  url: "must be a URL",
  regex: "has a form that is not allowed",
};

const units = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function tooSmall(origin: string, min: number, inclusive: boolean): string {
  switch (origin) {
    case "string":
      return min <= 1 ? "must not be empty" : `must be at least ${units(min, "character")}`;
    case "array":
    case "set":
      return min <= 1 ? "must not be empty" : `must have at least ${units(min, "entry", "entries")}`;
    default:
      return inclusive ? `must be at least ${min}` : `must be greater than ${min}`;
  }
}

function tooBig(origin: string, max: number, inclusive: boolean): string {
  switch (origin) {
    case "string":
      return `must be at most ${units(max, "character")}`;
    case "array":
    case "set":
      return `must have at most ${units(max, "entry", "entries")}`;
    default:
      return inclusive ? `must be at most ${max}` : `must be less than ${max}`;
  }
}

z.config({ customError: fieldMessage });
