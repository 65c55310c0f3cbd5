// Words for a video's state, the same everywhere in the studio.

const FAILURES = {
  moderation_blocked: "Blocked by the moderation system.",
  engine_error: "The engine could not make this video.",
  timeout: "It took too long and was stopped.",
  cancelled: "It was cancelled before it finished.",
  internal_error: "The server failed while making it.",
};

/** What a person waiting for the video wants to know. */
export function statusText(video) {
  if (video.status === "queued") return "Waiting in the queue…";
  if (video.status === "in_progress") {
    const progress = Math.round(Number(video.progress) || 0);
    return progress > 0 ? `Rendering… ${progress}%` : "Starting…";
  }
  if (video.status === "completed") return "Ready";
  if (video.status === "failed") return "Failed";
  return `Status: ${video.status}`;
}

/** The failure in plain words for the person who asked for the video (no operator text). */
export function failureText(error) {
  if (!error) return "It failed for an unknown reason.";
  return FAILURES[error.code] ?? "The video could not be made.";
}

/** The server's own message, for the "details" toggle: null when it adds nothing. */
export function failureDetails(error) {
  const message = String(error?.message ?? "").trim();
  if (!message || message === failureText(error)) return null;
  return message;
}
