// @medianest/shared: types and pure helpers used by the backend (and the critical-path tests).
export * from "./auth";
export * from "./media";
export * from "./health";
