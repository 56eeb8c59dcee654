/**
 * Click-to-call: "Call a customer" opens a small form that asks the server (`POST /api/calls`) to ring the
 * agent's phone and then dial the customer. The page offers it only when the server says calling is
 * configured (`GET /api/calls`, which also refuses pages not opened on this machine); how to set it up is
 * in the README. The form shows the server's reason when it refuses (Twilio error, bad number).
 *
 * `ClickToCallForm` is presentational (render it in every state of {@linkcode CLICK_TO_CALL_SAMPLE_STATES}
 * in the style samples); `CallCustomer` wires it to the API with hooks, for use inside an island.
 *
 * @module
 */
import type { TargetedEvent } from "preact";
import { useState } from "preact/hooks";
import { E164 } from "../core/protocol/phone_number.ts";

/** Where the form stands. */
export type ClickToCallState =
  | { kind: "idle" }
  | { kind: "sending" }
  | { kind: "placed"; callSid: string }
  | { kind: "error"; message: string };

/** One sample of every state, so the page can pre-generate the CSS of each. */
export const CLICK_TO_CALL_SAMPLE_STATES: ClickToCallState[] = [
  { kind: "idle" },
  { kind: "sending" },
  { kind: "placed", callSid: "CA00000000000000000000000000000000" },
  { kind: "error", message: "Twilio did not place the call." },
];

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

/** Whether this page may offer click-to-call: the server is configured for it and answers this page. */
export async function clickToCallEnabled(fetcher: Fetcher = fetch): Promise<boolean> {
  try {
    const response = await fetcher("/api/calls");
    const body = await response.json().catch(() => ({}));
    return response.ok && body.enabled === true;
  } catch {
    return false; // the server is unreachable: the connection pill says so
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
  const disabled = state.kind === "sending";
  const submit = (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!disabled) props.onSubmit?.();
  };
  return (
    <form data-testid="click-to-call" class="flex flex-col gap-2 text-sm" onSubmit={submit}>
      <label class="flex flex-wrap items-center gap-2">
        <span class="w-full font-medium text-slate-700">Customer's number</span>
        <input
          type="tel"
          name="to"
          autocomplete="tel"
          placeholder="+15551234567"
          class="min-w-0 flex-1 rounded-lg border border-slate-300 bg-white px-2 py-1 text-slate-900"
          value={props.number}
          onInput={(event) => props.onNumber?.(event.currentTarget.value)}
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

/**
 * "Call a customer": a button that opens the form in a panel over the page (so opening it moves nothing),
 * closed again with its button, "Close" or Escape.
 */
export function CallCustomer(props: { fetcher?: Fetcher }) {
  const fetcher = props.fetcher ?? fetch;
  const [open, setOpen] = useState(false);
  const [number, setNumber] = useState("");
  const [state, setState] = useState<ClickToCallState>({ kind: "idle" });
  const submit = async () => {
    setState({ kind: "sending" });
    setState(await placeCall(number, fetcher));
  };
  return (
    <div class="relative" onKeyDown={(event) => event.key === "Escape" && setOpen(false)}>
      <button
        type="button"
        data-testid="call-customer"
        aria-expanded={open ? "true" : "false"}
        aria-controls="call-customer-panel"
        class="whitespace-nowrap rounded-lg border border-slate-300 bg-white px-3 py-1 text-sm font-medium text-slate-900 hover:bg-slate-100"
        onClick={() => setOpen(!open)}
      >
        Call a customer
      </button>
      {open && (
        <CallCustomerPanel
          number={number}
          state={state}
          onNumber={setNumber}
          onSubmit={submit}
          onClose={() => setOpen(false)}
        />
      )}
    </div>
  );
}

/** The open panel under the "Call a customer" button. */
export function CallCustomerPanel(props: Parameters<typeof ClickToCallForm>[0] & { onClose?: () => void }) {
  return (
    <div
      id="call-customer-panel"
      class="absolute right-0 top-full z-20 mt-2 w-80 max-w-[calc(100vw-2rem)] rounded-xl border border-slate-200 bg-white p-4 shadow-lg"
    >
      <ClickToCallForm {...props} />
      <button
        type="button"
        class="mt-2 text-sm font-medium text-blue-800 underline"
        onClick={() => props.onClose?.()}
      >
        Close
      </button>
    </div>
  );
}

function statusText(state: ClickToCallState): string {
  switch (state.kind) {
    case "idle":
      return "Rings the agent's phone first, then the customer.";
    case "sending":
      return "Asking Twilio to place the call…";
    case "placed":
      return `Ringing the agent's phone; the customer is dialled when the agent answers (${state.callSid}).`;
    case "error":
      return state.message;
  }
}

function statusClass(state: ClickToCallState): string {
  return state.kind === "error" ? "text-red-800" : "text-slate-700";
}
