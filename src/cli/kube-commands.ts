import { type Command, InvalidArgumentError } from "commander";
import { UsageFailure } from "./failures.js";
import { addKubeOptions } from "./kube-access.js";
import { addOutputOption } from "./output.js";
import type { RotateFlags } from "./rotate.js";
import type { StatusFlags } from "./status.js";

/*
 * The Kubernetes side, as `cmctl renew` / `cmctl status` are for cert-manager. The
 * implementations load the Kubernetes client only when one of these commands runs.
 */

/** `90s`, `5m`, `1h` or plain seconds. */
function timeout(value: string): number {
  const m = /^(\d{1,6})(ms|s|m|h)?$/.exec(value);
  if (!m) throw new InvalidArgumentError("must be a duration such as 90s, 5m or 1h");
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * unit;
}

const count = (value: string): number => {
  if (!/^\d{1,3}$/.test(value)) throw new InvalidArgumentError("must be a number from 0 to 999");
  return Number(value);
};

export function registerKubeCommands(program: Command): void {
  addOutputOption(
    addKubeOptions(
      program
        .command("rotate")
        .description(
          "rotate AccessTokens now (the tokenplane.dev/rotate annotation) and wait for the new token",
        ),
    ),
    ["table", "json", "yaml"],
  )
    .argument("[accesstokens...]", "AccessToken names")
    .option("--all", "every AccessToken in the namespace")
    .option("-A, --all-namespaces", "with --all: in every namespace")
    .option("--timeout <duration>", "how long to wait for the new tokens", timeout, 120_000)
    .option("--no-wait", "only request the rotation")
    .addHelpText(
      "after",
      `
Examples:
  tokenplane rotate storefront -n shop
  tokenplane rotate --all -n shop --timeout 5m
  kubectl tokenplane rotate storefront -n shop     # as a kubectl plugin`,
    )
    .action(async (names: string[], flags: RotateFlags) => {
      if (flags.all && names.length > 0)
        throw new UsageFailure("--all: give AccessToken names or --all, not both");
      if (!flags.all && names.length === 0)
        throw new UsageFailure("ACCESSTOKEN: give at least one name, or --all");
      if (flags.allNamespaces && !flags.all) throw new UsageFailure("--all-namespaces: only with --all");
      const { rotate } = await import("./rotate.js");
      await rotate(names, flags);
    });

  addOutputOption(
    addKubeOptions(
      program
        .command("status")
        .description(
          "an AccessToken's conditions, token, expiry, renewal, Secret, Events and the server's view",
        ),
    ),
    ["table", "json", "yaml"],
  )
    .argument("<accesstoken>", "the AccessToken's name")
    .option(
      "--server <url>",
      "the token server to ask about the token (default: TOKENPLANE_SERVER, else the current context)",
    )
    .option("--events <n>", "how many recent Events to show", count, 10)
    .action(async (name: string, flags: StatusFlags) => {
      const { status } = await import("./status.js");
      await status(name, flags);
    });
}
