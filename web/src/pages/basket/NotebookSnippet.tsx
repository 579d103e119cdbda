/** Python to read the basket in a notebook, ready to copy. */
import { CopyButton } from "../../components/CopyButton";

export function notebookSnippet(exportUrl: string, signIn: boolean): string {
  const lines = [
    "import io, httpx, pyvo",
    "from astropy.io.votable import parse",
    "",
    `url = ${JSON.stringify(exportUrl)}`,
  ];
  if (signIn) {
    lines.push('token = "..."  # an access token from the gateway\'s sign-in service');
    lines.push('response = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=60)');
  } else {
    lines.push("response = httpx.get(url, timeout=60)");
  }
  lines.push(
    "response.raise_for_status()",
    "basket = pyvo.dal.DALResults(parse(io.BytesIO(response.content))).to_table()",
    "for row in basket:",
    '    print(row["dataset"], row["record_id"], row["access_url"])',
  );
  return lines.join("\n");
}

export function NotebookSnippet({ exportUrl, signIn }: { exportUrl: string; signIn: boolean }) {
  const code = notebookSnippet(exportUrl, signIn);
  return (
    <section aria-labelledby="notebook-heading" className="panel">
      <h2 id="notebook-heading">In a notebook</h2>
      <pre className="code" data-testid="notebook-snippet">
        <code>{code}</code>
      </pre>
      <CopyButton text={code} label="Copy the code" />
    </section>
  );
}
