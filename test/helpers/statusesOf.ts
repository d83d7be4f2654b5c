/** A session's statuses as they change, in order (each once per change): what a status line showed. */
export function statusesOf(session: { subscribe(listener: () => void): unknown; getSnapshot(): { status: string } }): string[] {
  const statuses: string[] = [];
  session.subscribe(() => {
    const { status } = session.getSnapshot();
    if (statuses.at(-1) !== status) statuses.push(status);
  });
  return statuses;
}
