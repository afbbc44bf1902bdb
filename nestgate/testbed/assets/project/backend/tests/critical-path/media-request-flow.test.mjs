// Critical path: media request status transitions.
import test from "node:test";
import assert from "node:assert/strict";
import { canTransition } from "@medianest/shared";

test("pending requests can be approved or declined", () => {
  assert.equal(canTransition("pending", "approved"), true);
  assert.equal(canTransition("pending", "declined"), true);
});

test("available is final", () => {
  assert.equal(canTransition("available", "pending"), false);
});
