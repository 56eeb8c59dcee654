/**
 * The ephemeral auth token of a server started without `TWILIO_AUTH_TOKEN`.
 *
 * Such a server cannot be called by Twilio (Twilio signs with the account's real token); only the local
 * simulator can call it. The simulator is another process, so the server leaves the token in a file only
 * this user can read, named after the port, and removes it at shutdown.
 *
 * @module
 */

/** Where the server on `port` keeps its ephemeral token. */
export function localTokenPath(port: number): string {
  const dir = Deno.env.get("XDG_RUNTIME_DIR") ?? Deno.env.get("TMPDIR") ?? "/tmp";
  return `${dir}/live-call-coach-${port}.token`;
}

/** Writes the token, readable by this user only. */
export async function writeLocalToken(port: number, token: string): Promise<void> {
  const path = localTokenPath(port);
  await Deno.writeTextFile(path, token, { mode: 0o600 });
  await Deno.chmod(path, 0o600);
}

/** Reads the token of the local server on `port`, or null when there is none. */
export async function readLocalToken(port: number): Promise<string | null> {
  try {
    return (await Deno.readTextFile(localTokenPath(port))).trim() || null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Removes the token file (missing is fine). */
export async function removeLocalToken(port: number): Promise<void> {
  await Deno.remove(localTokenPath(port)).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}
