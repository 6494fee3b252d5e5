/** tokenplane as a library: the token vocabulary, the API contract and clients. */
export * from "./core/index.js";
export * from "./api/index.js";
export {
  contentDigest,
  httpTokenServerApi,
  signRequest,
  type Connection,
  type RequestToSign,
} from "./client/index.js";
