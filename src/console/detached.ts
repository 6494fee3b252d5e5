/**
 * An async event handler as the void callback the DOM expects. The handlers catch their own
 * errors (they show them), so nothing is lost by not returning the promise.
 */
export const detached =
  <A extends unknown[]>(handler: (...args: A) => Promise<void>) =>
  (...args: A): void => {
    void handler(...args);
  };
