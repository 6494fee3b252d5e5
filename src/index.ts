/** tokenplane as a library: the token vocabulary, the API contract and clients. */
export * from "./core/index.js";
export * from "./api/index.js";
export { httpTokenServerApi, type Connection } from "./client/index.js";
