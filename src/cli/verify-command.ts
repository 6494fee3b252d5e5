import { type Command, InvalidArgumentError } from "commander";
import { type ApiFlags, apiFor, apiLeaf, show } from "./api-command.js";
import { UsageFailure } from "./failures.js";
import { colour, list, relativeTime, renderFields } from "./output.js";
import { readStdin } from "./prompts.js";
import type { VerifyResult } from "../api/index.js";

/* `tokenplane verify TOKEN`: the verify API's answer, as a service would get it. */

const cost = (value: string): number => {
  if (!/^\d{1,7}$/.test(value)) throw new InvalidArgumentError("must be a whole number");
  return Number(value);
};

const verdict = (r: VerifyResult) =>
  renderFields([
    ["Valid", r.valid ? colour.green("yes") : colour.red("no")],
    ["Code", r.code],
    ...(r.tokenId ? ([["Token", `${r.name ?? ""} (${r.tokenId})`]] as [string, string][]) : []),
    ...(r.userId ? ([["User", r.userId]] as [string, string][]) : []),
    ...(r.permissions ? ([["Permissions", list(r.permissions)]] as [string, string][]) : []),
    ...(r.expiresAt !== undefined
      ? ([["Expires", r.expiresAt ? `${r.expiresAt} (${relativeTime(r.expiresAt)})` : "never"]] as [
          string,
          string,
        ][])
      : []),
    ...(r.credits ? ([["Credits left", String(r.credits.remaining)]] as [string, string][]) : []),
    ...(r.rateLimit
      ? ([
          [
            "Rate limit",
            `${r.rateLimit.remaining}/${r.rateLimit.limit} left, resets ${relativeTime(r.rateLimit.reset)}`,
          ],
        ] as [string, string][])
      : []),
  ]);

export function registerVerifyCommand(program: Command): void {
  apiLeaf(program, "verify", "check a token as a service would; exit 1 unless it is valid")
    .argument("<token>", "the token, or - to read it from stdin (keeps it out of shell history)")
    .option("-p, --permission <resource:action>", "the permission the token must hold")
    .option("--origin <origin>", "the Origin a request came with")
    .option("--ip <address>", "the client address a request came from")
    .option("--cost <credits>", "credits to spend (default 1; 0 checks without spending)", cost)
    .action(
      async (
        token: string,
        flags: ApiFlags & { permission?: string; origin?: string; ip?: string; cost?: number },
      ) => {
        const plain = token === "-" ? await readStdin() : token;
        if (plain === "") throw new UsageFailure("TOKEN: empty");
        const result = await apiFor(flags, true).verify({
          token: plain,
          ...(flags.permission !== undefined ? { permission: flags.permission } : {}),
          ...(flags.origin !== undefined ? { origin: flags.origin } : {}),
          ...(flags.ip !== undefined ? { ip: flags.ip } : {}),
          ...(flags.cost !== undefined ? { cost: flags.cost } : {}),
        });
        show(result, flags.output, () => verdict(result));
        if (!result.valid) process.exitCode = 1;
      },
    );
}
