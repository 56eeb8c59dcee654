/** The page's top bar: product name, call status with a running timer, and the connection status. */
import { formatDuration } from "./format.ts";
import { PILL_STYLES, type PillStyle } from "./styles.ts";

/** What the centre of the bar says about the call being shown. */
export type CallStatusView =
  | { kind: "none" }
  | { kind: "waiting" }
  | { kind: "live"; elapsedMs: number }
  | { kind: "ended"; durationMs: number | null };

/** What the right of the bar says about the page's connection to the server. */
export type ConnectionView =
  | { kind: "connecting" }
  | { kind: "connected" }
  | { kind: "reconnecting"; inSeconds: number }
  | { kind: "offline" };

function Pill(props: { style: PillStyle; testId: string; text: string; label?: string }) {
  return (
    <span
      data-testid={props.testId}
      aria-label={props.label}
      class={`inline-flex items-center gap-2 rounded-full px-3 py-1 text-sm font-medium whitespace-nowrap ${props.style.pill}`}
    >
      <span aria-hidden="true" class={`inline-block h-2.5 w-2.5 rounded-full ${props.style.dot}`} />
      {props.text}
    </span>
  );
}

/** Centre pill: "Waiting for a call", "Live 2:31", "Call ended · 4:12". */
export function CallStatus(props: { status: CallStatusView }) {
  const s = props.status;
  switch (s.kind) {
    case "none":
      return <Pill testId="call-status" style={PILL_STYLES.neutral} text="Waiting for a call" />;
    case "waiting":
      return <Pill testId="call-status" style={PILL_STYLES.neutral} text="Call connecting…" />;
    case "live":
      return (
        <Pill
          testId="call-status"
          style={PILL_STYLES.live}
          text={`Live · ${formatDuration(s.elapsedMs)}`}
          label={`Call live for ${formatDuration(s.elapsedMs)}`}
        />
      );
    case "ended":
      return (
        <Pill
          testId="call-status"
          style={PILL_STYLES.bad}
          text={s.durationMs === null ? "Call ended" : `Call ended · ${formatDuration(s.durationMs)}`}
        />
      );
  }
}

/**
 * Right pill: "Connected", "Reconnecting…", "Offline". Short on purpose: the bar keeps one line on a phone;
 * the countdown is in the banner over the meters.
 */
export function ConnectionStatus(props: { connection: ConnectionView }) {
  const c = props.connection;
  switch (c.kind) {
    case "connecting":
      return <Pill testId="connection-status" style={PILL_STYLES.neutral} text="Connecting…" />;
    case "connected":
      return <Pill testId="connection-status" style={PILL_STYLES.good} text="Connected" />;
    case "reconnecting":
      return (
        <Pill
          testId="connection-status"
          style={PILL_STYLES.warning}
          text="Reconnecting…"
        />
      );
    case "offline":
      return <Pill testId="connection-status" style={PILL_STYLES.bad} text="Offline" />;
  }
}

/** Headset mark (inline SVG: emoji fonts are missing on some kiosks and headless browsers). */
function Logo() {
  return (
    <svg aria-hidden="true" viewBox="0 0 32 32" class="mr-2 inline-block h-7 w-7 align-[-0.45rem]">
      <rect width="32" height="32" rx="8" fill="#1565C0" />
      <path
        d="M8 19v-3a8 8 0 0 1 16 0v3"
        fill="none"
        stroke="#fff"
        stroke-width="2.5"
        stroke-linecap="round"
      />
      <rect x="6" y="17" width="5" height="8" rx="2" fill="#fff" />
      <rect x="21" y="17" width="5" height="8" rx="2" fill="#fff" />
    </svg>
  );
}

/** The whole bar; wraps onto two lines on a narrow window. */
export function TopBar(props: { call: CallStatusView; connection: ConnectionView }) {
  return (
    <header class="bg-white border-b border-slate-200">
      <div class="mx-auto max-w-6xl px-4 py-3 flex flex-wrap items-center justify-between gap-x-4 gap-y-2 sm:grid sm:grid-cols-3">
        <h1 class="text-lg font-bold text-slate-900 whitespace-nowrap">
          <Logo />Live Call Coach
        </h1>
        <div class="sm:justify-self-center order-3 sm:order-none w-full sm:w-auto flex justify-center">
          <CallStatus status={props.call} />
        </div>
        <div class="justify-self-end">
          <ConnectionStatus connection={props.connection} />
        </div>
      </div>
    </header>
  );
}

/** A message the server sent as `error`, shown at the top of the window (over the page) until the next `hello`. */
export function ServerErrorNote(props: { message: string | null }) {
  if (props.message === null) return null;
  return (
    <p
      role="alert"
      class="fixed inset-x-4 top-2 z-30 mx-auto max-w-xl rounded-lg border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 shadow"
    >
      Server error: {props.message}
    </p>
  );
}

/**
 * A toast while the feed of calls coached on other servers is interrupted (cluster only; the calls coached
 * on this server go on): their meters and tips stand still until it clears by itself.
 */
export function FeedDegradedNote(props: { message: string }) {
  return (
    <p
      role="status"
      data-testid="feed-degraded"
      class="max-w-xl rounded-xl border border-amber-300 bg-amber-50 px-4 py-3 text-center text-sm font-medium text-amber-900 shadow-lg"
    >
      {props.message}
    </p>
  );
}

/**
 * Over the greyed-out meters while the page has lost its connection: says so, and when it tries again.
 * Absolutely placed, so showing it moves nothing.
 */
export function ConnectionBanner(props: { connection: ConnectionView }) {
  const c = props.connection;
  const text = c.kind === "offline"
    ? "You are offline. The page reconnects when the network is back."
    : c.kind === "reconnecting" && c.inSeconds > 0
    ? `Connection lost. Reconnecting in ${c.inSeconds} s…`
    : "Connection lost. Reconnecting…";
  return (
    <div class="absolute inset-0 flex items-center justify-center p-2">
      <p
        data-testid="connection-banner"
        role="alert"
        class="rounded-lg border border-amber-300 bg-amber-50 px-4 py-2 text-center text-sm font-medium text-amber-900 shadow"
      >
        {text} The meters are paused.
      </p>
    </div>
  );
}
