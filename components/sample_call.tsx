/**
 * "Play a sample call": a button that asks this server (`POST /api/sample-call`) to play a scripted call
 * through itself, so a demo needs no terminal. Offered only on this machine: the page asks
 * `GET /api/sample-call` first, which answers 403 through the tunnel.
 *
 * @module
 */
type Fetcher = (input: string, init?: RequestInit) => Promise<Response>;

/** Where the button stands. */
export type SampleCallState =
  | { kind: "ready" }
  | { kind: "starting" }
  | { kind: "error"; message: string };

/** One sample of every state, so the page can pre-generate the CSS of each. */
export const SAMPLE_CALL_SAMPLE_STATES: SampleCallState[] = [
  { kind: "ready" },
  { kind: "starting" },
  { kind: "error", message: "A sample call is already playing." },
];

/** Whether this page may offer the button (the server answers only requests made on this machine). */
export async function sampleCallAvailable(fetcher: Fetcher = fetch): Promise<boolean> {
  try {
    const response = await fetcher("/api/sample-call");
    const body = await response.json().catch(() => ({}));
    return response.ok && body.available === true;
  } catch {
    return false; // the server is unreachable: the connection pill says so
  }
}

/** Asks the server to play the sample call; resolves to the state to show. */
export async function playSampleCall(fetcher: Fetcher = fetch): Promise<SampleCallState> {
  try {
    const response = await fetcher("/api/sample-call", { method: "POST" });
    const body = await response.json().catch(() => ({}));
    if (response.status === 202) return { kind: "starting" };
    return { kind: "error", message: body.error ?? `The server answered ${response.status}.` };
  } catch (error) {
    return { kind: "error", message: `Could not reach the server: ${(error as Error).message}` };
  }
}

export function SampleCallButton(props: { state: SampleCallState; onPlay?: () => void }) {
  const { state } = props;
  return (
    <div class="flex flex-col items-center gap-1">
      <button
        type="button"
        data-testid="play-sample-call"
        class="rounded-lg bg-blue-700 px-4 py-1.5 text-sm font-medium text-white hover:bg-blue-800 disabled:bg-slate-200 disabled:text-slate-700"
        disabled={state.kind === "starting"}
        onClick={() => props.onPlay?.()}
      >
        {state.kind === "starting" ? "Starting the sample call…" : "Play a sample call"}
      </button>
      <p role="status" class={`text-xs ${state.kind === "error" ? "text-red-800" : "text-slate-700"}`}>
        {state.kind === "error" ? state.message : "A scripted two-minute call, played through this server"}
      </p>
    </div>
  );
}
