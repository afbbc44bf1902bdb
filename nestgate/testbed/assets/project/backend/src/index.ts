// Backend entry points that build on @medianest/shared (resolved through node_modules).
import { canTransition, parseBearer, sessionIsValid, type MediaRequest, type RequestStatus } from "@medianest/shared";

export function tokenFrom(headers: Record<string, string | undefined>): string | null {
  return parseBearer(headers["authorization"]);
}

export function approve(request: MediaRequest): MediaRequest {
  const next: RequestStatus = "approved";
  if (!canTransition(request.status, next)) {
    throw new Error(`cannot approve a request that is ${request.status}`);
  }
  return { ...request, status: next };
}

export function activeSessions<T extends { expiresAt: Date; revokedAt: Date | null }>(rows: T[], now: Date): T[] {
  return rows.filter((row) => sessionIsValid(row, now));
}
