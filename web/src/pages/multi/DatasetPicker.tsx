/** Which datasets a multi-query asks: all multi-query ones, or a choice, grouped by archive. */
import { useId } from "react";

export interface PickableDataset {
  id: string;
  name: string;
  multiQuery: boolean;
  archive: { id: string; name: string };
}

interface DatasetPickerProps {
  datasets: readonly PickableDataset[];
  /** null: every dataset marked for multi-queries. */
  chosen: readonly string[] | null;
  onChange: (chosen: string[] | null) => void;
  error?: string;
}

export function DatasetPicker({ datasets, chosen, onChange, error }: DatasetPickerProps) {
  const id = useId();
  const archives = new Map<string, { name: string; datasets: PickableDataset[] }>();
  for (const dataset of datasets) {
    const group = archives.get(dataset.archive.id) ?? { name: dataset.archive.name, datasets: [] };
    group.datasets.push(dataset);
    archives.set(dataset.archive.id, group);
  }
  const all = chosen === null;
  const defaults = datasets.filter((d) => d.multiQuery).map((d) => d.id);
  const ticked = new Set(chosen ?? defaults);
  return (
    <fieldset className="dataset-picker" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>Datasets</legend>
      <label className="check">
        <input type="checkbox" checked={all} onChange={(e) => onChange(e.target.checked ? null : defaults)} />
        Every multi-query dataset ({defaults.length})
      </label>
      <div className="dataset-groups">
        {[...archives.entries()].map(([archiveId, group]) => (
          <fieldset key={archiveId} className="dataset-group" disabled={all}>
            <legend>{group.name}</legend>
            {group.datasets.map((dataset) => (
              <label key={dataset.id} className="check">
                <input
                  type="checkbox"
                  name="datasets"
                  value={dataset.id}
                  checked={ticked.has(dataset.id)}
                  onChange={(e) => {
                    const next = new Set(ticked);
                    if (e.target.checked) next.add(dataset.id);
                    else next.delete(dataset.id);
                    onChange(datasets.filter((d) => next.has(d.id)).map((d) => d.id));
                  }}
                />
                {dataset.name}
              </label>
            ))}
          </fieldset>
        ))}
      </div>
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </fieldset>
  );
}
