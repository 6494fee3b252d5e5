import { Argument, type Command, type Option } from "commander";

/*
 * Shell completion generated from the command tree, the way cobra does it: the shell script
 * is a few lines that ask `tokenplane __complete <words so far>` for candidates, so it never
 * goes stale as commands change. (No completion library for commander is both maintained and
 * covers bash, zsh and fish; this is the whole of it.)
 */

const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

function script(shell: Shell, name: string): string {
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
  switch (shell) {
    case "bash":
      return `# bash completion for ${name}: source <(${name} completion bash)
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} IFS=$'\\n'
  COMPREPLY=( $(compgen -W "$(${name} __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null)" -- "$cur") )
}
complete -o default -F ${fn} ${name}
`;
    case "zsh":
      return `#compdef ${name}
# zsh completion for ${name}: source <(${name} completion zsh)
${fn}() {
  local -a candidates
  candidates=("\${(@f)$(${name} __complete "\${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef ${fn} ${name}
`;
    case "fish":
      return `# fish completion for ${name}: ${name} completion fish | source
complete -c ${name} -f -a '(${name} __complete (commandline -opc)[2..-1])'
`;
  }
}

const visible = (c: Command) => !(c as Command & { _hidden?: boolean })._hidden;
const optionsOf = (c: Command): readonly Option[] => c.options;

/** Candidates for the word after `words`: subcommands and flags, or an option's choices. */
export function candidates(root: Command, words: readonly string[]): string[] {
  let command = root;
  let expectsValue: Option | undefined;
  for (const word of words) {
    if (expectsValue) {
      expectsValue = undefined;
      continue;
    }
    if (word.startsWith("-")) {
      const option = optionsOf(command).find((o) => o.long === word || o.short === word);
      if (option && (option.required || option.optional) && !word.includes("=")) expectsValue = option;
      continue;
    }
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub) command = sub;
  }
  if (expectsValue) return expectsValue.argChoices ? [...expectsValue.argChoices] : [];
  return [
    ...command.commands.filter(visible).map((c) => c.name()),
    ...optionsOf(command)
      .filter((o) => !o.hidden)
      .flatMap((o) => (o.long ? [o.long] : [])),
    "--help",
  ];
}

export function registerCompletionCommand(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .addHelpText(
      "after",
      `
Examples:
  source <(tokenplane completion bash)          # in ~/.bashrc
  source <(tokenplane completion zsh)           # in ~/.zshrc (after compinit)
  tokenplane completion fish > ~/.config/fish/completions/tokenplane.fish`,
    )
    .action((shell: Shell) => {
      process.stdout.write(script(shell, "tokenplane"));
    });

  // What the scripts call: the raw words are read from argv, as commander would take them for flags.
  program
    .command("__complete", { hidden: true })
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      const at = process.argv.indexOf("__complete");
      process.stdout.write(`${candidates(program, process.argv.slice(at + 1)).join("\n")}\n`);
    });
}
