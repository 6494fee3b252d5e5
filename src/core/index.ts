/** Shared vocabulary of tokenplane: durations, permissions and the token format. */
export * from "./duration.js";
export * from "./permissions.js";
export * from "./token-format.js";
export * from "./defaults.js";
