/**
 * The simulator's view of a call on the agent-page socket (`/ws/ui/{CallSid}`): it collects and prints the
 * tips as they arrive, and tells when the server says the call ended. Every message is validated with the
 * shared UI schema, so the simulator also checks what the server sends to pages.
 *
 * @module
 */
import { ACCESS_COOKIE } from "../server/http/ui_access.ts";
import {
  type ServerMessage,
  ServerMessageSchema,
  type SuggestionData,
} from "../core/protocol/ui_messages.ts";
import { formatTip } from "./report.ts";
import { joinUrl, openedSocket, SimulatorError, WebSocketWithHeaders } from "./twilio_client.ts";

/** A followed call. */
export interface CallFeed {
  tips: SuggestionData[];
  /** Resolves with the `call_ended` reason, or null after `timeoutMs`. */
  ended(timeoutMs: number): Promise<string | null>;
  close(): void;
}

/**
 * Follows the call on the UI socket at `url` (http or ws base URL); resolves once `hello` arrived, so the
 * subscription is live and no tip can be missed.
 *
 * @throws {SimulatorError} when the socket cannot be opened or closes at once.
 */
export async function followCall(
  url: string,
  callSid: string,
  accessKey: string | undefined,
  print: (line: string) => void,
): Promise<CallFeed> {
  const socketUrl = joinUrl(url.replace(/^http(s?):/, "ws$1:"), `/ws/ui/${callSid}`);
  const headers: Record<string, string> = accessKey ? { cookie: `${ACCESS_COOKIE}=${accessKey}` } : {};
  const socket = await openedSocket(
    new WebSocketWithHeaders(socketUrl, { headers }),
    socketUrl,
    "the UI socket",
  );
  const tips: SuggestionData[] = [];
  let endReason: string | null = null;
  let onEnded = () => {};
  let onHello = () => {};
  const hello = new Promise<void>((resolve) => onHello = resolve);
  socket.onmessage = (event) => {
    const message = parseServerMessage(event.data, print);
    if (message?.type === "hello") onHello();
    if (message?.type === "suggestion" && message.session_id === callSid) {
      tips.push(message.data);
      print(formatTip(message.data));
    }
    if (message?.type === "call_ended" && message.session_id === callSid) {
      endReason = message.reason;
      onEnded();
    }
  };
  socket.onclose = () => onHello();
  await hello;
  if (socket.readyState !== WebSocket.OPEN) {
    throw new SimulatorError(`the UI socket ${socketUrl} closed at once`);
  }
  return {
    tips,
    ended: (timeoutMs) => {
      if (endReason !== null) return Promise.resolve(endReason);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        onEnded = () => {
          clearTimeout(timer);
          resolve(endReason);
        };
      });
    },
    close: () => {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
        socket.close(1000);
      }
    },
  };
}

function parseServerMessage(data: unknown, print: (line: string) => void): ServerMessage | null {
  if (typeof data !== "string") {
    print("The UI socket sent a binary frame; ignored.");
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    print(`The UI socket sent something that is not JSON: ${data.slice(0, 120)}`);
    return null;
  }
  const parsed = ServerMessageSchema.safeParse(json);
  if (!parsed.success) {
    print(
      `The UI socket sent an invalid message: ${parsed.error.issues[0]?.message} in ${data.slice(0, 120)}`,
    );
    return null;
  }
  return parsed.data;
}
