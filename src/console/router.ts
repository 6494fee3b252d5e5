import { useEffect, useState } from "preact/hooks";

/** The console's own paths, under /console (the server answers index.html for each). */
export const BASE = "/console";

function current(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "/";
  return path === "" ? "/" : path;
}

export function navigate(path: string): void {
  history.pushState(null, "", BASE + path);
  dispatchEvent(new PopStateEvent("popstate"));
}

/** The current console path and query (`/users`, `?user=...`), following history changes. */
export function useRoute(): { path: string; query: URLSearchParams } {
  const [route, setRoute] = useState(() => ({
    path: current(),
    query: new URLSearchParams(location.search),
  }));
  useEffect(() => {
    const update = () => setRoute({ path: current(), query: new URLSearchParams(location.search) });
    addEventListener("popstate", update);
    return () => removeEventListener("popstate", update);
  }, []);
  return route;
}

/** Left clicks on console links change the page without reloading it. */
export function onLinkClick(e: MouseEvent, path: string): void {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(path);
}
