/** The operator's public entry. For now: the CRDs, their types and parse functions. */
export * from "./crd/index.js";
