export type HealthStatus = "healthy" | "degraded";

export interface HealthBody {
  status: HealthStatus;
  service: string;
  checks: Record<string, { status: string; latency_ms?: number }>;
}

/** Healthy only when every dependency check reports ok. */
export function overallStatus(checks: HealthBody["checks"]): HealthStatus {
  return Object.values(checks).every((c) => c.status === "ok") ? "healthy" : "degraded";
}
