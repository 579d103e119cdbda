/** Ticked records of the rows on screen; cleared when the rows change. */
import { useCallback, useEffect, useState } from "react";

export function useSelection(rows: readonly { id: string }[] | undefined) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  useEffect(() => setSelected(new Set()), [rows]);
  const toggle = useCallback((id: string, checked: boolean) => {
    setSelected((current) => {
      const next = new Set(current);
      if (checked) next.add(id);
      else next.delete(id);
      return next;
    });
  }, []);
  const toggleAll = useCallback(
    (checked: boolean) => setSelected(checked && rows ? new Set(rows.map((r) => r.id)) : new Set()),
    [rows],
  );
  const clear = useCallback(() => setSelected(new Set()), []);
  return { selected, toggle, toggleAll, clear };
}
