import type { TokenServerApi } from "../api/index.js";
import { serverUserName } from "./naming.js";

/**
 * The server user that owns a namespace's tokens on each server, created on first use and
 * remembered. `forget` after the server says the user is gone (it is created again).
 */
export class UserDirectory {
  private readonly ids = new Map<string, Promise<string>>();

  constructor(private readonly cluster: () => string) {}

  /** `server` names the server and its identity (a changed URL may be another server). */
  userId(server: string, api: TokenServerApi, namespace: string): Promise<string> {
    const key = `${server}|${namespace}`;
    let id = this.ids.get(key);
    if (!id) {
      id = api.ensureUser(serverUserName(this.cluster(), namespace)).then((u) => u.id);
      this.ids.set(key, id);
      id.catch(() => this.ids.delete(key));
    }
    return id;
  }

  forget(server: string, namespace: string): void {
    this.ids.delete(`${server}|${namespace}`);
  }

  clear(): void {
    this.ids.clear();
  }
}
