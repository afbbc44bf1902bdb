// Critical path: the health body the monitoring relies on.
import test from "node:test";
import assert from "node:assert/strict";
import { overallStatus } from "@medianest/shared";

test("every check ok means healthy", () => {
  assert.equal(overallStatus({ database: { status: "ok" }, cache: { status: "ok" } }), "healthy");
});

test("one failing check means degraded", () => {
  assert.equal(overallStatus({ database: { status: "ok" }, cache: { status: "down" } }), "degraded");
});
