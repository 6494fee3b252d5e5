import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * The listening socket, with the one fault a handler cannot fake: refusing connections. `refuse()`
 * stops listening and resets open connections; `restore()` listens again on the same port.
 */
export class HttpServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private listening = false;
  port = 0;

  constructor(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly host: string,
  ) {
    this.server = createServer({ keepAlive: true }, handler);
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    this.server.on("clientError", (_err, socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      else socket.destroy();
    });
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once("error", onError);
      this.server.listen(port, this.host, () => {
        this.server.off("error", onError);
        resolve();
      });
    });
    const address = this.server.address();
    if (address && typeof address === "object") this.port = address.port;
    this.listening = true;
  }

  get isListening(): boolean {
    return this.listening;
  }

  private async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Connection refused from now on, until restore(). */
  async refuse(): Promise<void> {
    await this.stop();
  }

  /** Listens again on the same port. */
  async restore(): Promise<void> {
    if (!this.listening) await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.stop();
  }
}
