/** The server's own words behind a mapped mail error, folded away: for the admin, or to pass on. */
export function ServerReply({ detail }: { detail?: string | undefined }) {
  if (!detail) return null;
  return (
    <details className="probe-detail">
      <summary>What the server said</summary>
      <pre>{detail}</pre>
    </details>
  );
}
