/**
 * The baseline: a bare node:http server that reads the request and answers fixed bytes.
 * Started as its own process, like the token server, with the same load generator.
 * Usage: baseline-server.ts <port> <json-body-for-POST> [<json-headers-for-GET>]
 */
import { createServer } from "node:http";

const port = Number(process.argv[2] ?? 0);
const answer = Buffer.from(process.argv[3] ?? "{}");
const getHeaders = Object.entries(JSON.parse(process.argv[4] ?? "{}") as Record<string, string>).flat();
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    if (req.method === "POST") {
      // Parse what a verify server would parse, so both do the same essential work.
      JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      res.writeHead(200, { "content-type": "application/json", "content-length": answer.length });
      res.end(answer);
    } else {
      res.writeHead(200, ["content-length", "0", ...getHeaders]);
      res.end();
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 })}\n`,
  );
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
