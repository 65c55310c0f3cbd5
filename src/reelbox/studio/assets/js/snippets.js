// Ready-to-run `curl` and Python SDK code that makes a video again, from the request the server
// reports for it (GET /v1/studio/videos/{id} → request: {method, path, body, files}).
// Keys are never written into snippets: they read $OPENAI_API_KEY.

/** Shell single-quoting. */
function sq(value) {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

/** Multipart field names for nested values, as the Node SDK sends them (`characters[0][id]`). */
function flatten(prefix, value, out) {
  if (Array.isArray(value)) value.forEach((item, i) => flatten(`${prefix}[${i}]`, item, out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) flatten(`${prefix}[${k}]`, v, out);
  } else out.push([prefix, value]);
  return out;
}

export function curlSnippet(request, { origin, needsKey }) {
  const lines = [`curl -sS ${origin}${request.path}`];
  if (needsKey) lines.push(`-H "Authorization: Bearer $OPENAI_API_KEY"`);
  const files = Object.entries(request.files ?? {});
  if (files.length) {
    for (const [name, value] of Object.entries(request.body)) {
      for (const [field, v] of flatten(name, value, [])) lines.push(`--form-string ${sq(`${field}=${v}`)}`);
    }
    for (const [name, filename] of files) {
      const type = filename.endsWith(".png") ? "image/png" : "video/mp4";
      lines.push(`-F ${sq(`${name}=@${filename};type=${type}`)}`);
    }
  } else {
    lines.push(`-H "Content-Type: application/json"`);
    lines.push(`-d ${sq(JSON.stringify(request.body, null, 2))}`);
  }
  const head = filesNote(request);
  return head + lines.join(" \\\n  ");
}

function filesNote(request) {
  const files = Object.values(request.files ?? {});
  if (!files.length) return "";
  return `# Put ${files.join(" and ")} next to this command first.\n`;
}

/** A Python literal for a JSON value. */
function py(value, indent = "") {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => py(v, indent)).join(", ")}]`;
  const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${py(v, indent)}`);
  return `{${entries.join(", ")}}`;
}

function kwargs(pairs) {
  return pairs.map(([k, v]) => `    ${k}=${v},`).join("\n");
}

export function pythonSnippet(request, { origin, needsKey }) {
  const body = { ...request.body };
  const files = request.files ?? {};
  const head = ["from openai import OpenAI"];
  const client = needsKey
    ? `client = OpenAI(base_url="${origin}/v1")  # the key comes from OPENAI_API_KEY`
    : `client = OpenAI(base_url="${origin}/v1", api_key="local")  # open local mode: any key works`;
  const extensions = {};
  if ("seed" in body) {
    extensions.seed = body.seed; // Reelbox extension: the same seed makes the same video
    delete body.seed;
  }
  let call;
  const path = request.path.replace(/^\/v1/, "");
  const remix = path.match(/^\/videos\/([^/]+)\/remix$/);
  if (path === "/videos") {
    if (body.characters) {
      extensions.characters = body.characters; // not in the SDK's signature yet
      delete body.characters;
    }
    const args = Object.entries(body).map(([k, v]) => [k, py(v)]);
    if (files.input_reference) args.push(["input_reference", `open(${py(files.input_reference)}, "rb")`]);
    if (Object.keys(extensions).length) args.push(["extra_body", py(extensions)]);
    call = `video = client.videos.create_and_poll(\n${kwargs(args)}\n)`;
  } else if (remix) {
    const args = [["prompt", py(body.prompt)]];
    if (Object.keys(extensions).length) args.push(["extra_body", py(extensions)]);
    call = `video = client.videos.remix(\n    ${py(decodeURIComponent(remix[1]))},\n${kwargs(args)}\n)\nvideo = client.videos.poll(video.id)`;
  } else if (files.video) {
    // An edit or extension of an uploaded clip: the SDK sends the file as multipart.
    const method = path.endsWith("/edits") ? "edit" : "extend";
    const known = method === "edit" ? ["prompt"] : ["prompt", "seconds"];
    const args = [];
    for (const [k, v] of Object.entries(body)) {
      if (known.includes(k)) args.push([k, py(v)]);
      else extensions[k] = v; // e.g. the edit's model: not a keyword of the SDK method
    }
    args.push(["video", `open(${py(files.video)}, "rb")`]);
    if (Object.keys(extensions).length) args.push(["extra_body", py(extensions)]);
    call = `video = client.videos.${method}(\n${kwargs(args)}\n)\nvideo = client.videos.poll(video.id)`;
  } else {
    // Edits and extensions of a stored video: the SDK has no typed form for {"video": {"id"}} yet.
    head.push("from openai.types import Video");
    const full = { ...body, ...extensions };
    call =
      `video = client.post(\n    ${py(path)},\n    body=${py(full)},\n    cast_to=Video,\n)\n` +
      "video = client.videos.poll(video.id)";
  }
  return [
    head.join("\n"),
    "",
    client,
    call,
    'print(video.id, video.status)',
    'if video.status == "completed":',
    '    client.videos.download_content(video.id).write_to_file(f"{video.id}.mp4")',
    "",
  ].join("\n");
}
