/** An archive's picture; its initials when it has none or the picture cannot be loaded. */
import { useState } from "react";

export function ArchiveThumbnail({ name, src, size = 96 }: { name: string; src: string | null; size?: number }) {
  const [failed, setFailed] = useState(false);
  if (!src || failed) {
    const initials = name
      .split(/\s+/)
      .filter((word) => /^[A-Za-z0-9]/.test(word))
      .slice(0, 2)
      .map((word) => word[0]?.toUpperCase())
      .join("");
    return (
      <div className="thumb thumb-placeholder" style={{ width: size, height: size }} aria-hidden="true">
        {initials}
      </div>
    );
  }
  return (
    <img
      className="thumb"
      src={src}
      alt=""
      width={size}
      height={size}
      loading="lazy"
      referrerPolicy="no-referrer"
      onError={() => setFailed(true)}
    />
  );
}
