/**
 * What clients can make the server hold with WebSocket frames that never end, measured on the product
 * server in its own process (`server_process.ts`, RSS from its probe). Deno buffers a whole message (up to
 * 64 MiB) before the server's handler sees any of it, and `Deno.upgradeWebSocket` has no option to lower that
 * limit, so the server's own 64 KiB cap cannot act on a frame that is still arriving. Three cases, each
 * client sending `--sent` MiB of a declared 63 MiB frame and then stalling:
 *
 * 1. unsigned upgrades (anyone): refused with 403 before a WebSocket exists;
 * 2. signed upgrades that never `start` (someone replaying captured signatures): closed after 5 s, but a peer
 *    stalled mid-frame cannot answer the close, and the runtime keeps its connection and its partial
 *    message until the peer goes; at most 64 such sockets per process (the pre-start cap);
 * 3. signed, started streams (Twilio, or someone with the auth token): the same, with no deadline.
 *
 * Prints a Markdown table (and JSON with `--json FILE`): RSS before, with the frames stalled, after the start
 * deadline has passed, and after the clients have gone. Docs: docs/security.md.
 *
 * `deno run -A bench/edge_memory.ts [--clients 20] [--signed-clients 10] [--sent 50] [--json FILE]`
 *
 * @module
 */
import { connectedMessage, randomSid } from "../core/protocol/twilio_messages.ts";
import { signTwilioRequest } from "../core/twilio/signature.ts";
import { mediaStreamUrl } from "../core/twilio/twiml.ts";
import { START_DEADLINE_MS } from "../server/media_guard.ts";
import { largeFrameHeader, RawClient, textFrame, upgradeHead } from "./raw_http.ts";
import { ServerUnderTest } from "./runs.ts";
import { benchStartMessage } from "./twilio_call.ts";

const FRAME_BYTES = 63 * 2 ** 20;
const MIB = 2 ** 20;
const SETTLE_MS = 1_500;

export type Case = "unsigned" | "signed, no start" | "signed, started";

/** One case's readings, MiB of server RSS. */
export interface EdgeRow {
  case: Case;
  clients: number;
  sent_mib_per_client: number;
  rss_before_mib: number;
  rss_stalled_mib: number;
  rss_after_deadline_mib: number;
  rss_after_clients_left_mib: number;
  upgrades_refused: number;
}

function flag(name: string, fallback: number): number {
  const at = Deno.args.indexOf(name);
  return at < 0 ? fallback : Number(Deno.args[at + 1]);
}

let clientsMade = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rssMiB(server: ServerUnderTest): Promise<number> {
  return Math.round((await server.stats({ gc: true })).rss / MIB);
}

/** One client: the upgrade (signed or not), a `start` if asked, then `sentMiB` of a frame that never ends. */
async function stall(server: ServerUnderTest, kind: Case, sentMiB: number): Promise<RawClient> {
  const port = Number(new URL(server.url).port);
  const callSid = randomSid("CA", clientsMade++);
  const client = await RawClient.connect(port);
  const streamUrl = mediaStreamUrl(server.url, callSid);
  const headers: Record<string, string> = kind === "unsigned"
    ? {}
    : { "x-twilio-signature": signTwilioRequest(server.authToken, streamUrl, {}) };
  await client.write(upgradeHead(new URL(streamUrl).pathname, headers));
  if (kind === "signed, started") {
    await client.until((c) => c.status !== null, 5_000);
    const call = { callSid, streamSid: "MZ" + crypto.randomUUID().replaceAll("-", "") };
    await client.write(textFrame(connectedMessage()));
    await client.write(textFrame(benchStartMessage(call, 1, server.authToken, Date.now())));
  }
  await client.write(largeFrameHeader(FRAME_BYTES));
  const chunk = new Uint8Array(MIB).fill(0x61);
  for (let i = 0; i < sentMiB && await client.write(chunk); i++) { /* until sent or refused */ }
  return client;
}

/** Runs one case on a fresh server process. */
export async function measure(kind: Case, clients: number, sentMiB: number): Promise<EdgeRow> {
  const server = await ServerUnderTest.start("coach");
  const held: RawClient[] = [];
  try {
    // Warm the paths the clients take before the baseline.
    const warm = await stall(server, kind, 1);
    warm.close();
    await warm.done();
    await sleep(SETTLE_MS);
    const before = await rssMiB(server);
    held.push(...await Promise.all(Array.from({ length: clients }, () => stall(server, kind, sentMiB))));
    await sleep(SETTLE_MS);
    const stalled = await rssMiB(server);
    await sleep(START_DEADLINE_MS + SETTLE_MS);
    const afterDeadline = await rssMiB(server);
    const refused = held.filter((client) => client.status === 403).length;
    for (const client of held) client.close();
    await Promise.all(held.map((client) => client.done()));
    await sleep(SETTLE_MS);
    return {
      case: kind,
      clients,
      sent_mib_per_client: sentMiB,
      rss_before_mib: before,
      rss_stalled_mib: stalled,
      rss_after_deadline_mib: afterDeadline,
      rss_after_clients_left_mib: await rssMiB(server),
      upgrades_refused: refused,
    };
  } finally {
    for (const client of held) client.close();
    await server.stop();
  }
}

if (import.meta.main) {
  const clients = flag("--clients", 20);
  const signedClients = flag("--signed-clients", 10);
  const sent = flag("--sent", 50);
  const rows = [
    await measure("unsigned", clients, sent),
    await measure("signed, no start", signedClients, sent),
    await measure("signed, started", signedClients, sent),
  ];
  console.log(
    "| case | clients | MiB sent each | RSS before | stalled | 5 s deadline + 1.5 s later | clients gone | refused |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const row of rows) {
    console.log(
      `| ${row.case} | ${row.clients} | ${row.sent_mib_per_client} | ${row.rss_before_mib} MiB | ` +
        `${row.rss_stalled_mib} MiB | ${row.rss_after_deadline_mib} MiB | ${row.rss_after_clients_left_mib} MiB | ` +
        `${row.upgrades_refused} |`,
    );
  }
  const json = Deno.args.indexOf("--json");
  if (json >= 0) {
    const at = new Date().toISOString();
    await Deno.writeTextFile(Deno.args[json + 1], JSON.stringify({ at, rows }, null, 2) + "\n");
  }
}
