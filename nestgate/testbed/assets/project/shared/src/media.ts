export type MediaType = "movie" | "tv";
export type RequestStatus = "pending" | "approved" | "available" | "declined";

export interface MediaRequest {
  id: number;
  title: string;
  mediaType: MediaType;
  tmdbId: number | null;
  status: RequestStatus;
}

const NEXT: Record<RequestStatus, RequestStatus[]> = {
  pending: ["approved", "declined"],
  approved: ["available", "declined"],
  available: [],
  declined: [],
};

/** Whether a media request may move from one status to another. */
export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return NEXT[from].includes(to);
}
