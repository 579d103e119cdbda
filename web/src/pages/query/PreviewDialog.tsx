/** A record's preview image, larger. */
import { useState } from "react";
import { Dialog } from "../../components/Dialog";
import type { ResultRow } from "./ResultsTable";

export function PreviewDialog({ row, onClose }: { row: ResultRow; onClose: () => void }) {
  const [failed, setFailed] = useState(false);
  const name = row.title ?? row.id;
  const src = row.thumbnailUrl ?? "";
  return (
    <Dialog title={`Preview: ${name}`} onClose={onClose} wide>
      {failed ? (
        <p role="alert">The preview image could not be loaded from {src}.</p>
      ) : (
        <img className="preview" src={src} alt={`Preview of ${name}`} onError={() => setFailed(true)} />
      )}
      <p>
        <a href={src} target="_blank" rel="noopener noreferrer">
          Open the image in a new tab
        </a>
      </p>
    </Dialog>
  );
}
