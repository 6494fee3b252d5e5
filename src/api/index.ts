/** The token server's HTTP contract, shared by the server, the client and the operator. */
// Installs the wording of validation errors (a side effect: zod's global error map).
import "./messages.js";
export * from "./fields.js";
export * from "./schemas.js";
export * from "./verification.js";
export * from "./token-server-api.js";
