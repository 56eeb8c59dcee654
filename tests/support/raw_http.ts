/**
 * A raw TCP client for testing the server's edge (`tests/system/`, `tests/server/`): requests written as a slow or hostile client writes them (slow headers, slow or
 * broken-off bodies, a WebSocket frame that never ends), and the server's answer read as it comes off the
 * wire, including whether it closed the connection. Loopback only.
 *
 * @module
 */

const encoder = new TextEncoder();

/** A raw connection to the server under test. */
export class RawClient {
  #received = new Uint8Array(0);
  #closed = false;
  readonly #reading: Promise<void>;

  private constructor(readonly conn: Deno.TcpConn) {
    this.#reading = this.#readAll();
  }

  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Writes `data`; false once the server has closed or reset the connection. */
  async write(data: string | Uint8Array): Promise<boolean> {
    try {
      let bytes = typeof data === "string" ? encoder.encode(data) : data;
      while (bytes.length > 0) bytes = bytes.subarray(await this.conn.write(bytes));
      return true;
    } catch {
      return false;
    }
  }

  /** Everything the server sent so far, as text. */
  get text(): string {
    return new TextDecoder().decode(this.#received);
  }

  /** The status code of the first response, once its status line is in (else null). */
  get status(): number | null {
    const match = /^HTTP\/1\.1 (\d{3}) /.exec(this.text);
    return match ? Number(match[1]) : null;
  }

  /** Whether the server has ended the connection (EOF or reset). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves once `test()` holds, or with false after `timeoutMs`. */
  async until(test: (client: RawClient) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!test(this)) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  /** Half-closes: the server sees the end of what this client sends, and may still answer. */
  async endWriting(): Promise<void> {
    await this.conn.closeWrite();
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }

  /** Waits for the reader to finish after {@linkcode close}. */
  async done(): Promise<void> {
    await this.#reading;
  }

  async #readAll(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await this.conn.read(buffer);
        if (n === null) break;
        const grown = new Uint8Array(this.#received.length + n);
        grown.set(this.#received);
        grown.set(buffer.subarray(0, n), this.#received.length);
        this.#received = grown;
      }
    } catch { /* reset by the server, or closed by this client */ }
    this.#closed = true;
  }
}

/** An HTTP/1.1 request head, `\r\n`-separated, ending with the blank line. */
export function requestHead(method: string, path: string, headers: Record<string, string>): string {
  const lines = [`${method} ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return lines.join("\r\n") + "\r\n\r\n";
}

/** The head of a WebSocket upgrade request for `path` (any extra headers, e.g. a signature). */
export function upgradeHead(path: string, headers: Record<string, string> = {}): string {
  return requestHead("GET", path, {
    host: "127.0.0.1",
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": btoa("0123456789abcdef"),
    "sec-websocket-version": "13",
    ...headers,
  });
}

/** The masking key of every frame built here (a measuring client needs no secrecy from the server). */
const MASK = [0x12, 0x34, 0x56, 0x78];

/**
 * The start of a masked client text frame that declares `declaredBytes` of payload (64-bit length form),
 * as a client about to send one large message writes it. Payload bytes follow separately.
 */
export function largeFrameHeader(declaredBytes: number): Uint8Array {
  const header = new Uint8Array(14);
  header[0] = 0x81; // FIN, text
  header[1] = 0x80 | 127; // masked, 64-bit length
  new DataView(header.buffer).setBigUint64(2, BigInt(declaredBytes));
  header.set(MASK, 10);
  return header;
}
