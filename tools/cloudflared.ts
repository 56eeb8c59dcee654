/**
 * A Cloudflare quick tunnel: runs `cloudflared tunnel --url http://127.0.0.1:PORT` and reads the public
 * `https://….trycloudflare.com` address it prints on stderr.
 *
 * @module
 */

/** How long cloudflared may take to print its URL (it registers with Cloudflare first). */
export const TUNNEL_TIMEOUT_MS = 30_000;
// The banner's URL stands alone; error lines mention API URLs such as https://api.trycloudflare.com/tunnel.
const TUNNEL_URL = /https:\/\/(?!api\.)[a-z0-9-]+\.trycloudflare\.com(?![\w/.-])/i;
/** Lines of cloudflared output kept to explain a failure. */
const KEPT_LINES = 20;

/** A tunnel problem, with what to do in the message. */
export class TunnelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TunnelError";
  }
}

/** How to install cloudflared, printed when it is not on PATH. */
export const CLOUDFLARED_INSTALL_HINT = [
  "cloudflared was not found on PATH. Install it, then run `deno task live` again:",
  "  Debian/Ubuntu: download cloudflared-linux-amd64.deb (or -arm64.deb) from",
  "                 https://github.com/cloudflare/cloudflared/releases/latest and run",
  "                 sudo dpkg -i cloudflared-linux-amd64.deb",
  "  macOS:         brew install cloudflared",
  "  Windows:       winget install --id Cloudflare.cloudflared",
  "  Other Linux:   the cloudflared-linux-amd64 binary from the same releases page, made executable and put",
  "                 in a directory on PATH (e.g. ~/.local/bin).",
  "No Cloudflare account is needed for a quick tunnel.",
].join("\n");

/** The first `https://….trycloudflare.com` address in a line of cloudflared output, or null. */
export function parseTunnelUrl(line: string): string | null {
  return TUNNEL_URL.exec(line)?.[0].toLowerCase() ?? null;
}

/** The full path of executable `name` in the directories of `pathVariable`, or null. */
export function findExecutable(name: string, pathVariable: string | undefined): string | null {
  for (const dir of (pathVariable ?? "").split(":")) {
    if (!dir) continue;
    const candidate = `${dir.replace(/\/+$/, "")}/${name}`;
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && (info.mode === null || (info.mode & 0o111) !== 0)) return candidate;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied)) {
        throw error;
      }
    }
  }
  return null;
}

/** Options for {@linkcode startTunnel}. */
export interface TunnelOptions {
  /** Path of the cloudflared executable. */
  cloudflaredPath: string;
  /** Local port the tunnel forwards to. */
  port: number;
  /** How long to wait for the URL (default {@linkcode TUNNEL_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Receives cloudflared's error lines once the tunnel is up (it reconnects on its own, but say so). */
  onErrorLine?: (line: string) => void;
}

/** A running tunnel. */
export interface Tunnel {
  /** `https://….trycloudflare.com`. */
  url: string;
  pid: number;
  /** Resolves when cloudflared exits (on its own or after {@linkcode Tunnel.stop}). */
  exited: Promise<Deno.CommandStatus>;
  /** Stops cloudflared (SIGTERM, SIGKILL after 5 s) and waits for it. */
  stop(): Promise<void>;
}

/**
 * Starts cloudflared and resolves once it printed the public URL.
 *
 * @throws {TunnelError} when cloudflared exits first or prints no URL within the timeout; it is stopped.
 */
export async function startTunnel(options: TunnelOptions): Promise<Tunnel> {
  const child = new Deno.Command(options.cloudflaredPath, {
    // The origin is 127.0.0.1, not localhost: the server listens on IPv4 and localhost may resolve to ::1.
    args: ["tunnel", "--no-autoupdate", "--url", `http://127.0.0.1:${options.port}`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const exited = child.status;
  const recent: string[] = [];
  const urlFound = Promise.withResolvers<string>();
  let url: string | null = null;

  // Keep reading after the URL: an unread pipe would fill up and block cloudflared.
  const reading = (async () => {
    for await (const line of lines(child.stderr)) {
      recent.push(line);
      if (recent.length > KEPT_LINES) recent.shift();
      if (url === null) {
        url = parseTunnelUrl(line);
        if (url !== null) urlFound.resolve(url);
      } else if (/\bERR\b/.test(line)) options.onErrorLine?.(line);
    }
  })();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    stopping ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch (error) {
        // Already exited: nothing to stop.
        if (!(error instanceof TypeError)) throw error;
      }
      const killer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* exited meanwhile */ }
      }, 5000);
      await exited;
      clearTimeout(killer);
      await reading;
    })();

  const timeoutMs = options.timeoutMs ?? TUNNEL_TIMEOUT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    urlFound.promise,
    exited.then((status) => ({ exitedWith: status.code })),
    new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), timeoutMs)),
  ]);
  clearTimeout(timer);
  if (typeof outcome === "string" && outcome !== "timeout") {
    return { url: outcome, pid: child.pid, exited, stop };
  }
  await stop();
  const output = recent.length ? `\ncloudflared said:\n  ${recent.join("\n  ")}` : "";
  if (outcome === "timeout") {
    throw new TunnelError(
      `cloudflared printed no https://….trycloudflare.com URL within ${timeoutMs / 1000} s. ` +
        `Check the internet connection and try again.${output}`,
    );
  }
  throw new TunnelError(
    `cloudflared exited (code ${outcome.exitedWith}) before the tunnel was up.${output}`,
  );
}

/** The text lines of a byte stream. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    const parts = buffered.split(/\r?\n/);
    buffered = parts.pop()!;
    yield* parts;
  }
  buffered += decoder.decode();
  if (buffered) yield buffered;
}
