export interface SessionUser {
  id: number;
  username: string;
  email: string;
  role: "USER" | "ADMIN";
}

export const AUTH_COOKIE_NAME = "token";
export const MIN_PASSWORD_LENGTH = 12;

/** The bearer token of an Authorization header, or null. */
export function parseBearer(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  return match ? match[1] : null;
}

/** Password policy of the login form: length and at least three character classes. */
export function passwordMeetsPolicy(password: string): boolean {
  if (password.length < MIN_PASSWORD_LENGTH) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  return classes >= 3;
}

/** A session is usable when it is neither revoked nor expired. */
export function sessionIsValid(session: { expiresAt: Date; revokedAt: Date | null }, now: Date): boolean {
  return session.revokedAt === null && session.expiresAt.getTime() > now.getTime();
}
