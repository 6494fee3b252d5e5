import { useCallback, useEffect, useState } from "preact/hooks";
import type { Page } from "../api/index.js";

/** A cursor-paged list: the first page on load (and whenever `key` changes), more on request. */
export function usePaged<T>(load: (cursor?: string) => Promise<Page<T>>, key: string) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);

  const fetchPage = useCallback(
    async (from: string | undefined, replace: boolean) => {
      setLoading(true);
      try {
        const page = await load(from);
        setItems((prev) => (replace ? page.items : [...prev, ...page.items]));
        setCursor(page.nextCursor);
        setError(undefined);
      } catch (err) {
        setError(err);
      } finally {
        setLoading(false);
      }
    },
    // `load` is a new closure on every render; `key` says when it means something else.
    [key],
  );

  useEffect(() => {
    void fetchPage(undefined, true);
  }, [fetchPage]);

  return {
    items,
    error,
    loading,
    hasMore: cursor !== null,
    more: () => (cursor ? fetchPage(cursor, false) : Promise.resolve()),
    reload: () => fetchPage(undefined, true),
  };
}
