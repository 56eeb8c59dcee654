/**
 * The row under the top bar: which call the page shows ("Call 2 · 14:31 · …4567", a picker once there are
 * several), and "Call a customer" when click-to-call is configured. One line of fixed height, so nothing
 * below it moves when calls come and go; the picker sizes to its longest entry and never cuts one off.
 *
 * @module
 */
import type { ComponentChildren, TargetedEvent } from "preact";

/** One entry of the picker. */
export interface CallOption {
  id: string;
  label: string;
}

function Picker(props: { calls: CallOption[]; followedId: string | null; onSelect?: (id: string) => void }) {
  if (props.calls.length === 0) {
    return <p data-testid="call-label" class="text-sm text-slate-700">No call yet</p>;
  }
  const followed = props.calls.find((call) => call.id === props.followedId) ?? props.calls[0];
  if (props.calls.length === 1) {
    return <p data-testid="call-label" class="text-sm font-medium text-slate-900">{followed.label}</p>;
  }
  const onChange = (event: TargetedEvent<HTMLSelectElement>) => props.onSelect?.(event.currentTarget.value);
  return (
    <label class="flex min-w-0 items-center gap-2 text-sm text-slate-700">
      <span class="hidden sm:inline">Showing</span>
      <select
        data-testid="call-picker"
        aria-label="Call to show"
        class="max-w-full rounded-lg border border-slate-300 bg-white py-1 pl-2 pr-1 font-medium text-slate-900"
        value={followed.id}
        onChange={onChange}
      >
        {props.calls.map((call) => <option key={call.id} value={call.id}>{call.label}</option>)}
      </select>
    </label>
  );
}

export function CallBar(props: {
  calls: CallOption[];
  followedId: string | null;
  onSelect?: (id: string) => void;
  /** The "Call a customer" control, when click-to-call is configured. */
  calling?: ComponentChildren;
}) {
  return (
    <div data-testid="call-bar" class="flex h-9 items-center justify-between gap-3">
      <Picker calls={props.calls} followedId={props.followedId} onSelect={props.onSelect} />
      {props.calling}
    </div>
  );
}

/**
 * The offer shown when another call starts while the page follows one: a toast that covers nothing (in the
 * page's toast stack at the bottom of the window).
 */
export function SwitchOffer(props: { label: string; onSwitch?: () => void; onDismiss?: () => void }) {
  return (
    <div
      data-testid="switch-offer"
      role="status"
      class="flex w-fit max-w-full flex-wrap items-center justify-center gap-x-3 gap-y-2 rounded-xl border border-slate-300 bg-white px-4 py-3 text-sm shadow-lg"
    >
      <span class="text-center text-slate-900">
        <span class="block font-medium">Another call started — switch?</span>
        <span class="block">{props.label}</span>
      </span>
      <span class="flex gap-2">
        <button
          type="button"
          data-testid="switch-accept"
          class="rounded-lg bg-blue-700 px-3 py-1 font-medium text-white hover:bg-blue-800"
          onClick={() => props.onSwitch?.()}
        >
          Switch
        </button>
        <button
          type="button"
          data-testid="switch-dismiss"
          class="rounded-lg border border-slate-300 bg-white px-3 py-1 font-medium text-slate-800 hover:bg-slate-100"
          onClick={() => props.onDismiss?.()}
        >
          Stay
        </button>
      </span>
    </div>
  );
}
