import { connect, type Socket } from "node:net";

/**
 * HTTP/1.1 spoken by hand over one kept-alive connection, for the requests no client
 * library will send: raw bytes in paths and headers, duplicate or conflicting headers,
 * Content-Length that does not match the body. Thousands of requests share a connection,
 * so a property-based test runs in seconds.
 */

export interface RawRequest {
  method: string;
  /** The request target exactly as sent (UTF-8 bytes, no escaping). */
  target: string;
  /** In order; duplicates allowed. Values are sent as UTF-8. */
  headers: [string, string][];
  body?: Buffer | undefined;
}

export interface RawResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  /** The body was cut short on purpose (an endless stream such as subscribe=true). */
  truncated: boolean;
}

/** Everything a request got back: responses (none when the server just closed) and whether it closed. */
export interface RawExchange {
  responses: RawResponse[];
  closed: boolean;
}

export function encodeRequest(request: RawRequest): Buffer {
  const head = `${request.method} ${request.target} HTTP/1.1\r\n${request.headers
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("")}\r\n`;
  return request.body ? Buffer.concat([Buffer.from(head, "utf8"), request.body]) : Buffer.from(head, "utf8");
}

const STREAMING = /application\/x-ndjson|text\/event-stream/i;

export class RawConnection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly port: number,
    private readonly host = "127.0.0.1",
    /** A server that neither answers nor closes within this bound has hung: the exchange fails. */
    private readonly timeoutMs = 10_000,
  ) {}

  /**
   * Sends one request and reads its response. With `halfClose` the client ends its side
   * after writing (for bodies shorter than their Content-Length) and reads every response
   * until the server closes. A fresh connection is opened whenever the last one closed.
   */
  async exchange(
    request: RawRequest | Buffer,
    options: { head?: boolean; halfClose?: boolean; fresh?: boolean } = {},
  ): Promise<RawExchange> {
    if (options.fresh) this.close();
    const socket = await this.open();
    const bytes = Buffer.isBuffer(request) ? request : encodeRequest(request);
    const head = options.head ?? (!Buffer.isBuffer(request) && request.method === "HEAD");
    socket.write(bytes);
    if (options.halfClose) socket.end();
    const deadline = Date.now() + this.timeoutMs;
    const responses: RawResponse[] = [];
    for (;;) {
      const response = await this.readResponse(head, deadline);
      if (!response) break;
      responses.push(response);
      const closing = /\bclose\b/i.test(response.headers.connection ?? "");
      if (response.truncated || closing) {
        this.close();
        return { responses, closed: true };
      }
      if (!options.halfClose) return { responses, closed: false };
    }
    this.close();
    return { responses, closed: true };
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private async open(): Promise<Socket> {
    // Bytes nobody asked for (an answer to trailing garbage) leave the connection's state unknown.
    if (this.socket && !this.ended && this.buffer.length === 0) return this.socket;
    this.close();
    this.buffer = Buffer.alloc(0);
    this.ended = false;
    const socket = connect(this.port, this.host);
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const end = (): void => {
      if (this.socket !== socket) return;
      this.ended = true;
      this.wake?.();
    };
    socket.on("data", (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end);
    this.socket = socket;
    return socket;
  }

  /** Waits for more bytes or the end of the connection; throws once the deadline passes. */
  private async more(deadline: number): Promise<void> {
    if (this.ended) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        reject(new Error(`the server neither answered nor closed within ${this.timeoutMs} ms`));
      }, deadline - Date.now());
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private take(n: number): Buffer {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** One response (1xx interim responses skipped), or undefined when the connection ended first. */
  private async readResponse(head: boolean, deadline: number): Promise<RawResponse | undefined> {
    for (;;) {
      let end: number;
      while ((end = this.buffer.indexOf("\r\n\r\n")) === -1) {
        if (this.ended) return undefined;
        await this.more(deadline);
      }
      const lines = this.take(end + 4)
        .toString("latin1")
        .split("\r\n");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1]);
      if (!Number.isInteger(status)) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
      if (status >= 100 && status < 200) continue;
      const done = (body: Buffer, truncated = false): RawResponse => ({
        status,
        headers,
        body,
        text: body.toString("utf8"),
        truncated,
      });
      if (head || status === 204 || status === 304) return done(Buffer.alloc(0));
      if (STREAMING.test(headers["content-type"] ?? "")) return done(Buffer.alloc(0), true);
      if (/chunked/i.test(headers["transfer-encoding"] ?? "")) return done(await this.chunked(deadline));
      const length = headers["content-length"];
      if (length !== undefined) {
        const n = Number(length);
        while (this.buffer.length < n) {
          if (this.ended) return done(this.take(this.buffer.length), true);
          await this.more(deadline);
        }
        return done(this.take(n));
      }
      while (!this.ended) await this.more(deadline);
      return done(this.take(this.buffer.length));
    }
  }

  private async chunked(deadline: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      let eol: number;
      while ((eol = this.buffer.indexOf("\r\n")) === -1) {
        if (this.ended) return Buffer.concat(parts);
        await this.more(deadline);
      }
      const size = parseInt(this.take(eol + 2).toString("latin1"), 16);
      if (size === 0) {
        // Trailers, then an empty line.
        for (;;) {
          while ((eol = this.buffer.indexOf("\r\n")) === -1) {
            if (this.ended) return Buffer.concat(parts);
            await this.more(deadline);
          }
          if (this.take(eol + 2).length === 2) return Buffer.concat(parts);
        }
      }
      while (this.buffer.length < size + 2) {
        if (this.ended) return Buffer.concat([...parts, this.take(this.buffer.length)]);
        await this.more(deadline);
      }
      parts.push(this.take(size));
      this.take(2);
    }
  }
}
