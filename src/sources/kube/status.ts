/** What the Kubernetes API said when it refused a call. */

/** The `message` of the Status the API answered with (client-node hands the body over as text or object). */
export function statusMessage(body: unknown): string | undefined {
  let status = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body) as unknown;
    } catch {
      return body.slice(0, 300) || undefined;
    }
  }
  const message = (status as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message.slice(0, 300) : undefined;
}
