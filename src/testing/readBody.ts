/** The body of `request` (left unread, a clone is read): parsed JSON, else the text, else `null`. */
export async function readBody(request: Request | Response): Promise<unknown> {
  const text = await request
    .clone()
    .text()
    .catch(() => '');
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
