import type { IssuedAccessToken, TokenServerApi } from "../../src/api/index.js";
import type { RunningServer } from "../../src/server/index.js";

/*
 * A TokenServerApi wrapped the way a test needs it: every plain token and private key the
 * server hands out is recorded (so a test can prove they appear nowhere but in Secrets), and a
 * call can be made to "crash" right after the server has done its work — the call never
 * answers, as when the process dies between the server's commit and reading the response.
 */

type Method = keyof TokenServerApi;

interface Hang {
  method: Method;
  match: (args: unknown[]) => boolean;
  reached: () => void;
  done: boolean;
}

export interface HangHandle {
  /** Resolves once a matching call has been carried out on the server (and left hanging). */
  reached: Promise<void>;
}

export class TokenServerTap {
  /** Every plain token value and private key any call returned. */
  readonly issued = new Set<string>();
  private hangs: Hang[] = [];

  /**
   * The next call of `method` whose arguments satisfy `match` is carried out on the server and
   * then never answers.
   */
  hangAfter(method: Method, match: (args: unknown[]) => boolean = () => true): HangHandle {
    let reached!: () => void;
    const promise = new Promise<void>((r) => (reached = r));
    this.hangs.push({ method, match, reached, done: false });
    return { reached: promise };
  }

  clear(): void {
    this.hangs = [];
  }

  private record(result: unknown): void {
    const issued = result as Partial<IssuedAccessToken> | undefined;
    if (issued && typeof issued.token === "string") this.issued.add(issued.token);
    if (issued && typeof issued.privateKey === "string") this.issued.add(issued.privateKey);
  }

  wrap(api: TokenServerApi): TokenServerApi {
    const wrapped = {} as Record<Method, unknown>;
    for (const method of Object.keys(api) as Method[]) {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called with apply(api) below
      const original = api[method] as (...args: unknown[]) => unknown;
      wrapped[method] = (...args: unknown[]) => {
        const result = original.apply(api, args);
        if (!(result instanceof Promise)) return result;
        return result.then((value: unknown) => {
          this.record(value);
          const hang = this.hangs.find((h) => !h.done && h.method === method && h.match(args));
          if (!hang) return value;
          hang.done = true;
          hang.reached();
          return new Promise(() => undefined);
        });
      };
    }
    return wrapped as unknown as TokenServerApi;
  }

  /** `server` with its in-process API wrapped (for `tokenServer: { attached }`). */
  attach(server: RunningServer): RunningServer {
    const api = (label: string) => this.wrap(server.api(label));
    return new Proxy(server, {
      get: (target, prop, receiver) =>
        prop === "api" ? api : (Reflect.get(target, prop, receiver) as unknown),
    });
  }
}
