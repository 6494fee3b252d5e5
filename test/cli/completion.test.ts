import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltCli, buildCli } from "./cli-process.js";

/* Shell completion: the scripts, and the candidates they ask the command tree for. */

let built: BuiltCli;
let bin: string;

beforeAll(async () => {
  built = await buildCli();
  bin = mkdtempSync(join(tmpdir(), "tokenplane-completion-"));
  // `tokenplane` on PATH, as an installed package puts it there.
  writeFileSync(join(bin, "tokenplane"), `#!/bin/sh\nexec "${process.execPath}" "${built.entry}" "$@"\n`);
  chmodSync(join(bin, "tokenplane"), 0o755);
});
afterAll(() => {
  built?.remove();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

const candidates = async (...words: string[]) => {
  const result = await built.run(["__complete", ...words]);
  expect(result.status).toBe(0);
  return result.stdout.trim().split("\n");
};

describe("tokenplane completion", { timeout: 60_000 }, () => {
  it("completes commands, subcommands, flags and flag values from the command tree", async () => {
    const [top, tokens, create, type, output] = await Promise.all([
      candidates(),
      candidates("tokens"),
      candidates("token", "create"),
      candidates("tokens", "create", "x", "--type"),
      candidates("tokens", "create", "-o"),
    ]);
    expect(top).toEqual(
      expect.arrayContaining(["tokens", "users", "rotate", "status", "login", "completion"]),
    );
    expect(top).not.toContain("__complete");
    expect(tokens).toEqual(
      expect.arrayContaining(["list", "get", "create", "update", "regenerate", "delete"]),
    );
    expect(create).toEqual(
      expect.arrayContaining(["--type", "--permission", "--duration", "--output", "--help"]),
    );
    expect(type).toEqual(["read-only", "full-access", "custom"]);
    expect(output).toEqual(["table", "json", "yaml", "token"]);
  });

  it("prints scripts for bash, zsh and fish; the bash one completes in bash", async () => {
    const [bash, zsh, fish, bad] = await Promise.all([
      built.run(["completion", "bash"]),
      built.run(["completion", "zsh"]),
      built.run(["completion", "fish"]),
      built.run(["completion", "tcsh"]),
    ]);
    expect(zsh.stdout).toContain("compdef _tokenplane tokenplane");
    expect(fish.stdout).toContain("complete -c tokenplane");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      "'tcsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.",
    );
    const script = join(bin, "completion.bash");
    writeFileSync(script, bash.stdout);
    const reply = execFileSync(
      "bash",
      [
        "-c",
        `source "${script}"; COMP_WORDS=(tokenplane tokens re); COMP_CWORD=2; _tokenplane; echo "\${COMPREPLY[*]}"`,
      ],
      { env: { PATH: `${bin}:${process.env.PATH}`, HOME: process.env.HOME }, encoding: "utf8" },
    );
    expect(reply.trim().split(" ").sort()).toEqual(["regenerate"]);
  });
});
