import type { Request } from "express";
import { type Caller, callerOf } from "../domain/caller.js";
import { checkRestrictions } from "../domain/access-checks.js";
import type { CredentialResolver } from "../domain/credential-resolver.js";
import { forbidden, unauthorized } from "../domain/errors.js";
import type { Store } from "../store/store.js";
import { credentialFrom, originFrom } from "./credentials.js";

export type Authenticate = (req: Request) => Promise<Caller>;

/**
 * Management calls are authenticated like any other use of a token: it must be live,
 * unexpired, and used from an allowed IP and origin.
 */
export function authenticator(resolver: CredentialResolver, store: Store, now: () => number): Authenticate {
  return async (req) => {
    const credential = credentialFrom(req.headers);
    if (!credential) throw unauthorized("send a token in Authorization: Bearer, Private-Token or X-API-Key");
    const resolved = await resolver.resolve(credential);
    if (!resolved) throw unauthorized("the token is not valid");
    const code = checkRestrictions(resolved, { ip: req.ip, origin: originFrom(req.headers) }, now());
    if (code === "EXPIRED") throw unauthorized("the token has expired");
    if (code === "IP_NOT_ALLOWED") throw forbidden("the token may not be used from this IP address");
    if (code === "ORIGIN_NOT_ALLOWED") throw forbidden("the token may not be used from this origin");
    const user = await store.users.get(resolved.token.userId);
    if (!user) throw unauthorized("the token is not valid");
    return callerOf(user, resolved);
  };
}
