/**
 * A download from the gateway. In single-user mode a plain link; with sign-in the browser
 * cannot add the bearer token to a link, so the file is fetched with it and saved from memory.
 */
import { useState, type ReactNode } from "react";
import { useBearer } from "../auth/AuthContext";

interface DownloadLinkProps {
  href: string;
  filename: string;
  children: ReactNode;
  className?: string;
}

export function DownloadLink({ href, filename, children, className }: DownloadLinkProps) {
  const bearer = useBearer();
  const [error, setError] = useState<string | null>(null);
  if (!bearer) {
    return (
      <a href={href} download={filename} className={className}>
        {children}
      </a>
    );
  }
  const download = async () => {
    setError(null);
    try {
      const response = await fetch(href, { headers: { Authorization: bearer } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = filename;
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (exc) {
      setError(`Download failed: ${exc instanceof Error ? exc.message : String(exc)}`);
    }
  };
  return (
    <>
      <a
        href={href}
        className={className}
        onClick={(event) => {
          event.preventDefault();
          void download();
        }}
      >
        {children}
      </a>
      {error && (
        <span role="alert" className="field-error">
          {error}
        </span>
      )}
    </>
  );
}
