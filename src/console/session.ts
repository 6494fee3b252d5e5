/**
 * The signed-in token lives in sessionStorage: it survives a reload of this tab (so a reload
 * does not sign the user out) but not the tab itself, is never shared with other tabs, and
 * is never sent anywhere except in the Authorization header of API calls. localStorage would
 * outlive the browser session; a cookie would travel with every request and need CSRF defences.
 */
const KEY = "tokenplane.console.credential";

export function storedCredential(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeCredential(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // Storage disabled: the session lasts as long as the page.
  }
}

export function forgetCredential(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing stored.
  }
}
