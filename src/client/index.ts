/** Clients of the token server. */
export { httpTokenServerApi, type Connection } from "./http-token-server-api.js";
export { managementApi, orMissing, type ManagementApi } from "./management-api.js";
export { contentDigest, signRequest, type RequestToSign } from "./sign-request.js";
export { ApiError, type TokenEventStream, type TokenServerApi } from "../api/index.js";
