/**
 * Parses `.env` text (`NAME=value` lines, `#` comments, optional quotes, optional `export`).
 *
 * @example
 * ```ts
 * parseDotEnv('PORT=8000\n# comment\nPUBLIC_URL="https://x.example.com"');
 * // { PORT: "8000", PUBLIC_URL: "https://x.example.com" }
 * ```
 *
 * @module
 */

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

/** Parses `.env` text into a map. Lines that are not assignments are ignored, like shells' dotenv tools. */
export function parseDotEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(#|$)/.test(line)) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    let value = match[2];
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    values[match[1]] = value;
  }
  return values;
}
