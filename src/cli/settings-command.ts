import type { Command } from "commander";
import type { DefaultPermissions } from "../api/index.js";
import { type ApiFlags, apiFor, apiLeaf, show } from "./api-command.js";
import { UsageFailure } from "./failures.js";
import { colour } from "./output.js";

/* `tokenplane settings get|set default-permissions`: what anonymous requests may do. */

const SETTINGS = ["default-permissions"] as const;

function setting(name: string): (typeof SETTINGS)[number] {
  const known = SETTINGS.find((s) => s === name);
  if (!known) throw new UsageFailure(`SETTING: unknown setting "${name}" (known: ${SETTINGS.join(", ")})`);
  return known;
}

const human = (value: DefaultPermissions) =>
  value.permissions.length > 0
    ? `${value.permissions.join("\n")}\n`
    : "(none: anonymous requests may do nothing)\n";

export function registerSettingsCommand(program: Command): void {
  const settings = program.command("settings").description(`server settings: ${SETTINGS.join(", ")}`);

  apiLeaf(settings, "get", "show a setting")
    .argument("<setting>", SETTINGS.join(" | "))
    .action(async (name: string, flags: ApiFlags) => {
      setting(name);
      const value = await apiFor(flags).getDefaultPermissions();
      show(value, flags.output, () => human(value));
    });

  apiLeaf(settings, "set", "change a setting; no permissions clears it")
    .argument("<setting>", SETTINGS.join(" | "))
    .argument("[permissions...]", "resource:action permissions anonymous requests get")
    .addHelpText("after", "\nExample:\n  tokenplane settings set default-permissions articles:read")
    .action(async (name: string, permissions: string[], flags: ApiFlags) => {
      setting(name);
      const value = await apiFor(flags).setDefaultPermissions({ permissions });
      if (flags.output === "table") process.stderr.write(colour.green(`✓ Set ${name}\n`));
      show(value, flags.output, () => human(value));
    });
}
