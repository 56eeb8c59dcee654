/** Choose which live call the page follows. Compact text with one call, a select with several. */
import type { TargetedEvent } from "preact";

/** One entry of the picker. */
export interface CallOption {
  id: string;
  label: string;
}

/** Value of the "follow the newest call" option. */
export const FOLLOW_NEWEST = "";

export function CallPicker(props: {
  calls: CallOption[];
  /** The chosen call id, or null to follow the newest call. */
  selected: string | null;
  /** The call shown when following the newest. */
  shownId: string | null;
  onSelect?: (id: string | null) => void;
}) {
  if (props.calls.length === 0) return null;
  if (props.calls.length === 1) {
    return <p data-testid="call-picker" class="text-sm text-slate-700">Following {props.calls[0].label}</p>;
  }
  const onChange = (event: TargetedEvent<HTMLSelectElement>) => {
    const value = event.currentTarget.value;
    props.onSelect?.(value === FOLLOW_NEWEST ? null : value);
  };
  const shown = props.calls.find((call) => call.id === props.shownId);
  return (
    <label data-testid="call-picker" class="flex flex-wrap items-center gap-2 text-sm text-slate-700">
      <span class="font-medium">Call</span>
      <select
        class="min-w-0 max-w-full rounded-lg border border-slate-300 bg-white px-2 py-1 text-slate-900"
        value={props.selected ?? FOLLOW_NEWEST}
        onChange={onChange}
      >
        <option value={FOLLOW_NEWEST}>Newest call{shown ? ` (${shown.label})` : ""}</option>
        {props.calls.map((call) => <option key={call.id} value={call.id}>{call.label}</option>)}
      </select>
    </label>
  );
}
