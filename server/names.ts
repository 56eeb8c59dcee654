/**
 * Names and secrets a process makes for itself: its instance id, and random keys.
 *
 * @module
 */

/** The host name and process id: unique on a machine, and it says where to look. */
export function defaultInstanceId(): string {
  let host = "host";
  try {
    host = Deno.hostname().replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 40) || host;
  } catch {
    // Not allowed to read the host name: the process id still tells the instances of one machine apart.
  }
  return `${host}-${Deno.pid}`;
}

/** 144 random bits, base64url. */
export function randomKey(): string {
  return crypto.getRandomValues(new Uint8Array(18)).toBase64({ alphabet: "base64url" });
}
