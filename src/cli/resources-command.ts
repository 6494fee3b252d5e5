import { type Command, InvalidArgumentError } from "commander";
import { CreateResourceBody, type Resource } from "../api/index.js";
import { checkedBody } from "./checked-body.js";
import { type ApiFlags, apiFor, apiLeaf, show } from "./api-command.js";
import { addConnectionOptions, type ConnectionFlags } from "./connection.js";
import { CliFailure } from "./failures.js";
import { colour, list, relativeTime, renderTable } from "./output.js";
import { confirmOrRefuse } from "./prompts.js";

/* `tokenplane resources list|create|delete`: the registry permissions and forward auth name. */

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** `/orders` or `/orders=GET,HEAD` */
function route(value: string, previous: Resource["routes"] | undefined): Resource["routes"] {
  const [pathPrefix = "", methods] = value.split("=", 2);
  if (!pathPrefix.startsWith("/")) throw new InvalidArgumentError("must be /PATH or /PATH=METHOD,...");
  const parsed = methods?.split(",").map((m) => m.trim().toUpperCase());
  const unknown = parsed?.find((m) => !METHODS.includes(m));
  if (unknown !== undefined)
    throw new InvalidArgumentError(`unknown method "${unknown}" (${METHODS.join(", ")})`);
  return [...(previous ?? []), { pathPrefix, ...(parsed ? { methods: parsed } : {}) }];
}

const routes = (r: Resource) =>
  list(r.routes.map((x) => (x.methods ? `${x.pathPrefix}=${x.methods.join("|")}` : x.pathPrefix)));

const resourceTable = (items: readonly Resource[]) =>
  renderTable(
    ["NAME", "BUILT-IN", "ROUTES", "DESCRIPTION", "CREATED"],
    items.map((r) => [
      r.name,
      r.builtIn ? "yes" : "no",
      routes(r),
      r.description || "-",
      relativeTime(r.createdAt),
    ]),
  );

export function registerResourcesCommand(program: Command): void {
  const resources = program
    .command("resources")
    .alias("resource")
    .description("the resources permissions name (resource:action) and their routes for forward auth");

  apiLeaf(resources, "list", "list resources, built-in ones included")
    .alias("ls")
    .action(async (flags: ApiFlags) => {
      const items = await apiFor(flags).listResources();
      show(items, flags.output, () => resourceTable(items));
    });

  apiLeaf(resources, "create", "register a resource")
    .argument("<name>", "the resource's name, as permissions spell it")
    .option("--description <text>", "what the resource is")
    .option(
      "--route <path[=methods]>",
      "a path prefix it covers, e.g. /orders or /orders=GET,HEAD (repeatable)",
      route,
    )
    .action(async (name: string, flags: ApiFlags & { description?: string; route?: Resource["routes"] }) => {
      const body = checkedBody(
        CreateResourceBody,
        {
          name,
          ...(flags.description !== undefined ? { description: flags.description } : {}),
          ...(flags.route ? { routes: flags.route } : {}),
        },
        { name: "NAME", description: "--description", routes: "--route" },
      );
      const created = await apiFor(flags).createResource(body);
      if (flags.output === "table")
        process.stderr.write(colour.green(`✓ Created resource ${created.name}\n`));
      show(created, flags.output, () => resourceTable([created]));
    });

  addConnectionOptions(
    resources.command("delete").alias("rm").description("remove a resource (refused while tokens use it)"),
  )
    .argument("<name>", "the resource's name")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (name: string, flags: ConnectionFlags & { yes?: boolean }) => {
      const api = apiFor(flags);
      if (!(await confirmOrRefuse(`Delete resource ${name}?`, flags.yes)))
        throw new CliFailure("not deleted");
      await api.deleteResource(name);
      process.stderr.write(colour.green(`✓ Deleted resource ${name}\n`));
    });
}
