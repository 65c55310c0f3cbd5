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

/** The failure in plain words, with the server's own message when it adds something. */
export function failureText(error) {
  if (!error) return "It failed for an unknown reason.";
  const known = FAILURES[error.code];
  const message = (error.message || "").trim();
  if (!known) return message || `It failed (${error.code}).`;
  if (!message || message === known) return known;
  return `${known} ${message.endsWith(".") ? message : `${message}.`}`;
}
