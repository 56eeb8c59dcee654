/**
 * Click-to-call: a small form that asks the server (`POST /api/calls`) to ring the agent's phone and then
 * dial the customer. The server only accepts it from a page opened on the same machine; the form shows the
 * server's reason when it refuses (not configured, opened through the tunnel, Twilio error).
 *
 * `ClickToCallForm` is presentational (render it in every state of {@linkcode CLICK_TO_CALL_SAMPLE_STATES}
 * in the style samples); `ClickToCall` wires it to the API with hooks, for use inside an island.
 *
 * @module
 */
import type { TargetedEvent } from "preact";
import { useEffect, useState } from "preact/hooks";

/** Where the form stands. */
export type ClickToCallState =
  | { kind: "idle" }
  | { kind: "unavailable"; message: string }
  | { kind: "sending" }
  | { kind: "placed"; callSid: string }
  | { kind: "error"; message: string };

/** One sample of every state, so the page can pre-generate the CSS of each. */
export const CLICK_TO_CALL_SAMPLE_STATES: ClickToCallState[] = [
  { kind: "idle" },
  { kind: "unavailable", message: "Click-to-call is not configured: set AGENT_PHONE_NUMBER." },
  { kind: "sending" },
  { kind: "placed", callSid: "CA00000000000000000000000000000000" },
  { kind: "error", message: "Twilio did not place the call." },
];

const E164 = /^\+[1-9]\d{6,14}$/;
type Fetcher = (input: string, init?: RequestInit) => Promise<Response>;

/** `+1 (555) 987-6543` → `+15559876543`; null when it is not an international number. */
export function normalizePhoneNumber(input: string): string | null {
  const compact = input.replace(/[\s().-]/g, "");
  const withPlus = compact.startsWith("00") ? "+" + compact.slice(2) : compact;
  return E164.test(withPlus) ? withPlus : null;
}

/** Asks the server to place the call; resolves to the state to show. */
export async function placeCall(input: string, fetcher: Fetcher = fetch): Promise<ClickToCallState> {
  const to = normalizePhoneNumber(input);
  if (to === null) {
    return { kind: "error", message: "Enter the number in international format, e.g. +15551234567." };
  }
  try {
    const response = await fetcher("/api/calls", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ to }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status === 201 && typeof body.call_sid === "string") {
      return { kind: "placed", callSid: body.call_sid };
    }
    return { kind: "error", message: body.error ?? `The server answered ${response.status}.` };
  } catch (error) {
    return { kind: "error", message: `Could not reach the server: ${(error as Error).message}` };
  }
}

/** Whether the server can place calls (`GET /api/calls`); `idle` when it can. */
export async function clickToCallAvailability(fetcher: Fetcher = fetch): Promise<ClickToCallState> {
  try {
    const response = await fetcher("/api/calls");
    const body = await response.json().catch(() => ({}));
    if (response.ok && body.enabled === true) return { kind: "idle" };
    if (response.ok && Array.isArray(body.missing)) {
      return { kind: "unavailable", message: `Click-to-call needs ${body.missing.join(", ")}.` };
    }
    return {
      kind: "unavailable",
      message: body.error ?? `Click-to-call is unavailable (${response.status}).`,
    };
  } catch (error) {
    return { kind: "unavailable", message: `Could not reach the server: ${(error as Error).message}` };
  }
}

/** The form in a given state. */
export function ClickToCallForm(props: {
  number: string;
  state: ClickToCallState;
  onNumber?: (value: string) => void;
  onSubmit?: () => void;
}) {
  const { state } = props;
  const disabled = state.kind === "sending" || state.kind === "unavailable";
  const submit = (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!disabled) props.onSubmit?.();
  };
  return (
    <form data-testid="click-to-call" class="flex flex-col gap-2 text-sm" onSubmit={submit}>
      <label class="flex flex-wrap items-center gap-2">
        <span class="font-medium text-slate-700">Call a customer</span>
        <input
          type="tel"
          name="to"
          autocomplete="tel"
          placeholder="+15551234567"
          class="min-w-0 flex-1 rounded-lg border border-slate-300 bg-white px-2 py-1 text-slate-900"
          value={props.number}
          onInput={(event) => props.onNumber?.(event.currentTarget.value)}
          disabled={state.kind === "unavailable"}
          required
        />
        <button
          type="submit"
          class="rounded-lg bg-blue-700 px-3 py-1 font-medium text-white disabled:bg-slate-200 disabled:text-slate-600"
          disabled={disabled}
        >
          {state.kind === "sending" ? "Calling…" : "Call"}
        </button>
      </label>
      <p role="status" aria-live="polite" class={statusClass(state)}>{statusText(state)}</p>
    </form>
  );
}

/** The form wired to the server: checks availability once, then places calls. */
export function ClickToCall(props: { fetcher?: Fetcher }) {
  const fetcher = props.fetcher ?? fetch;
  const [number, setNumber] = useState("");
  const [state, setState] = useState<ClickToCallState>({ kind: "idle" });
  useEffect(() => {
    clickToCallAvailability(fetcher).then(setState);
  }, []);
  const submit = async () => {
    setState({ kind: "sending" });
    setState(await placeCall(number, fetcher));
  };
  return <ClickToCallForm number={number} state={state} onNumber={setNumber} onSubmit={submit} />;
}

function statusText(state: ClickToCallState): string {
  switch (state.kind) {
    case "idle":
      return "Rings the agent's phone first, then the customer.";
    case "sending":
      return "Asking Twilio to place the call…";
    case "placed":
      return `Ringing the agent's phone; the customer is dialled when the agent answers (${state.callSid}).`;
    case "unavailable":
    case "error":
      return state.message;
  }
}

function statusClass(state: ClickToCallState): string {
  return state.kind === "error" || state.kind === "unavailable" ? "text-red-800" : "text-slate-600";
}
