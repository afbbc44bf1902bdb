// Critical path: authentication helpers the login/logout flow relies on.
import test from "node:test";
import assert from "node:assert/strict";
import { parseBearer, passwordMeetsPolicy, sessionIsValid } from "@medianest/shared";

test("a bearer header yields its token", () => {
  assert.equal(parseBearer("Bearer abc.def-123"), "abc.def-123");
  assert.equal(parseBearer("Basic dXNlcjpwYXNz"), null);
  assert.equal(parseBearer(undefined), null);
});

test("the password policy rejects short and single-class passwords", () => {
  assert.equal(passwordMeetsPolicy("short"), false);
  assert.equal(passwordMeetsPolicy("alllowercaseletters"), false);
  assert.equal(passwordMeetsPolicy("Str0ng-enough-pass"), true);
});

test("a revoked session is invalid even before it expires", () => {
  const now = new Date("2025-01-01T00:00:00Z");
  const later = new Date("2025-01-02T00:00:00Z");
  assert.equal(sessionIsValid({ expiresAt: later, revokedAt: null }, now), true);
  assert.equal(sessionIsValid({ expiresAt: later, revokedAt: now }, now), false);
  assert.equal(sessionIsValid({ expiresAt: now, revokedAt: null }, later), false);
});
