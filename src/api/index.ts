/** The token server's HTTP contract, shared by the server, the client and the operator. */
export * from "./fields.js";
export * from "./schemas.js";
export * from "./verification.js";
export * from "./token-server-api.js";
