/**
 * A worker's error event in words. A script that fails to load or parse fires an event with no
 * message (the browser keeps the reason to its console), so name the script then. (Apart from
 * web-pool.ts so that a page's own bundle can use it without the pool.)
 */
export function workerError(e: ErrorEvent | Event, scriptUrl: string): string {
  const message = (e as ErrorEvent).message;
  if (message) return message;
  return scriptUrl
    ? `could not load or start ${scriptUrl} (a wrong URL, or a script the server did not send?)`
    : 'an error without a message';
}
