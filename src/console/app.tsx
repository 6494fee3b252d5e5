import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { createApi } from "./api-client.js";
import { AuditPage } from "./audit-page.js";
import { DefaultPermissionsPage } from "./default-permissions-page.js";
import { ResourcesPage } from "./resources-page.js";
import { onLinkClick, useRoute } from "./router.js";
import { forgetCredential, storeCredential, storedCredential } from "./session.js";
import { may, mayAdminister, type Session, SessionContext } from "./session-context.js";
import { SignIn } from "./sign-in.js";
import { TokensPage } from "./tokens-page.js";
import { UsersPage } from "./users-page.js";

interface Page {
  path: string;
  label: string;
  visible: (s: Session) => boolean;
  render: () => ComponentChildren;
}

const PAGES: Page[] = [
  { path: "/", label: "API tokens", visible: (s) => may(s, "tokens", "read"), render: () => <TokensPage /> },
  {
    path: "/users",
    label: "Users",
    visible: (s) => mayAdminister(s, "users", "read"),
    render: () => <UsersPage />,
  },
  {
    path: "/resources",
    label: "Resources",
    visible: (s) => may(s, "resources", "read"),
    render: () => <ResourcesPage />,
  },
  {
    path: "/default-permissions",
    label: "Default permissions",
    visible: (s) => may(s, "settings", "read"),
    render: () => <DefaultPermissionsPage />,
  },
  {
    path: "/audit",
    label: "Audit log",
    visible: (s) => may(s, "audit", "read"),
    render: () => <AuditPage />,
  },
];

/** Token prefixes get an ellipsis; "(env)" (the admin token from the environment) does not. */
const displayPrefix = (prefix: string): string => (prefix.startsWith("(") ? prefix : `${prefix}…`);

export function App() {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [restoring, setRestoring] = useState(() => storedCredential() !== undefined);
  const route = useRoute();

  const signOut = useCallback(() => {
    forgetCredential();
    setSession(undefined);
  }, []);

  const signIn = useCallback(
    async (token: string) => {
      const api = createApi(token, signOut);
      const user = await api.me();
      // The calling token's permissions; an admin token configured by environment may have no record.
      const self = await api.self().catch(() => undefined);
      storeCredential(token);
      setSession({ api, user, permissions: self?.permissions, displayPrefix: self?.displayPrefix, signOut });
    },
    [signOut],
  );

  useEffect(() => {
    const stored = storedCredential();
    if (!stored) return;
    signIn(stored)
      .catch(() => forgetCredential())
      .finally(() => setRestoring(false));
  }, [signIn]);

  if (restoring)
    return (
      <p class="loading" role="status">
        Loading…
      </p>
    );
  if (!session) return <SignIn onSignIn={signIn} />;

  const pages = PAGES.filter((p) => p.visible(session));
  const page = pages.find((p) => p.path === route.path) ?? pages[0];
  return (
    <SessionContext.Provider value={session}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <div class="shell">
        <nav class="sidebar" aria-label="Console">
          <div class="brand">
            <span class="logo" aria-hidden="true">
              t
            </span>
            tokenplane
          </div>
          <ul>
            {pages.map((p) => (
              <li key={p.path}>
                <a
                  href={`/console${p.path === "/" ? "/" : p.path}`}
                  aria-current={p === page ? "page" : undefined}
                  onClick={(e) => onLinkClick(e, p.path)}
                >
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="content">
          <header class="topbar">
            <div class="whoami">
              <span class="avatar" aria-hidden="true">
                {session.user.name.slice(0, 1).toUpperCase()}
              </span>
              <span>
                Signed in as <strong data-testid="whoami">{session.user.name}</strong>
                {session.user.admin && <span class="badge admin">admin</span>}
                {session.displayPrefix && (
                  <span class="muted">
                    {" "}
                    with <code>{displayPrefix(session.displayPrefix)}</code>
                  </span>
                )}
                {session.permissions && (
                  <span class="muted held">
                    {" "}
                    holding{" "}
                    {session.permissions.map((p) => (
                      <code key={p}>{p}</code>
                    ))}
                  </span>
                )}
              </span>
            </div>
            <button type="button" class="secondary small" onClick={signOut}>
              Sign out
            </button>
          </header>
          <main id="main" tabIndex={-1}>
            {page ? page.render() : <p class="empty">This token may not read anything the console shows.</p>}
          </main>
        </div>
      </div>
    </SessionContext.Provider>
  );
}
