import { type Command, Option } from "commander";
import { createColors } from "picocolors";
import { cliTable, yaml } from "./lazy-modules.js";

/*
 * What commands print. Tables for people (aligned, relative times, colour only on a
 * terminal and never with NO_COLOR), JSON/YAML for programs, and `-o token` for the one
 * place a plain token belongs on stdout.
 */

export const OUTPUT_FORMATS = ["table", "wide", "json", "yaml", "token"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function addOutputOption(command: Command, formats: readonly OutputFormat[]): Command {
  return command.addOption(
    new Option("-o, --output <format>", `output format: ${formats.join(", ")}`)
      .choices(formats)
      .default("table"),
  );
}

/** Colour only on a terminal, never with NO_COLOR (https://no-color.org) or TERM=dumb. */
export function colourFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env) {
  const enabled = stream.isTTY === true && !env.NO_COLOR && env.TERM !== "dumb";
  return createColors(enabled);
}
export const colour = colourFor(process.stdout);
export const errColour = colourFor(process.stderr);

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600_000],
  ["month", 60 * 24 * 3600_000],
  ["day", 24 * 3600_000],
  ["hour", 3600_000],
  ["minute", 60_000],
  ["second", 1000],
];
const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "3 days ago", "in 29 days", "now"; `never`/`-` for absent times. */
export function relativeTime(iso: string | null | undefined, absent = "-", now = Date.now()): string {
  if (!iso) return absent;
  const diff = Date.parse(iso) - now;
  if (Number.isNaN(diff)) return iso;
  // Days up to two months ("in 30 days" reads better than "in 1 month" for a 30d token).
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms)
      return relative.format(Math.round(diff / (unit === "month" ? 30 * 24 * 3600_000 : ms)), unit);
  }
  return "just now";
}

/** An aligned table without borders, like kubectl's and gh's. */
export function renderTable(head: string[], rows: string[][]): string {
  const blank = {
    top: "",
    "top-mid": "",
    "top-left": "",
    "top-right": "",
    bottom: "",
    "bottom-mid": "",
    "bottom-left": "",
    "bottom-right": "",
    left: "",
    "left-mid": "",
    mid: "",
    "mid-mid": "",
    right: "",
    "right-mid": "",
    middle: "   ",
  };
  const Table = cliTable();
  const table = new Table({
    head: head.map((h) => colour.bold(h)),
    chars: blank,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
    wordWrap: false,
  });
  table.push(...rows);
  // cli-table3 pads the last column too; trailing blanks only get in the way of grep and diff.
  return `${table
    .toString()
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")}\n`;
}

/** Label/value pairs, aligned: `Name:   storefront`. */
export function renderFields(fields: [string, string][], indent = ""): string {
  const width = Math.max(...fields.map(([k]) => k.length)) + 1;
  return fields.map(([k, v]) => `${indent}${`${k}:`.padEnd(width + 1)}${v}\n`).join("");
}

export function renderData(value: unknown, format: "json" | "yaml"): string {
  return format === "json" ? `${JSON.stringify(value, null, 2)}\n` : yaml().stringify(value);
}

export function print(text: string): void {
  process.stdout.write(text);
}

export const list = (values: readonly string[] | undefined, empty = "-"): string =>
  values && values.length > 0 ? values.join(",") : empty;
