import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { User } from "../api/index.js";
// The file, not core's entry: the entry also holds the token format, which needs node:crypto.
import { type Action, allows } from "../core/permissions.js";
import type { Api } from "./api-client.js";

/** Who is signed in and what their token may do (to hide what the API would refuse). */
export interface Session {
  api: Api;
  user: User;
  /** The signed-in token's permissions; undefined when the server did not say (then nothing is hidden). */
  permissions: readonly string[] | undefined;
  /** The display prefix of the signed-in token, never the token. */
  displayPrefix: string | undefined;
  signOut: () => void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}

/** The token holds `resource:action`. */
export const may = (s: Session, resource: string, action: Action): boolean =>
  s.permissions === undefined || allows(s.permissions, resource, action);

/** Global management: an admin user whose token holds the permission. */
export const mayAdminister = (s: Session, resource: string, action: Action): boolean =>
  s.user.admin && may(s, resource, action);
