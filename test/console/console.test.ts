import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/token-server.js";
import { waitFor } from "../support/wait.js";
import { buildConsole, launchChromium, SCREENSHOTS } from "./browser.js";

/**
 * The web console end to end: the built console served by a real token server, driven in
 * headless chromium, every outcome checked through the API (`POST /api/v1/verify` for what
 * a token holds). One browser for the file, one context per signed-in person.
 */

interface Person {
  id: string;
  token: string;
}

let ts: TestServer;
let consoleDir: string;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];
/** Every plain token the tests saw; none may reach the server's logs. */
const secrets: string[] = [];
let alice: Person;
let bob: Person;

async function person(name: string): Promise<Person> {
  const user = await ts.admin<{ id: string }>("POST", "/api/v1/users", { body: { name } });
  const token = await ts.admin<{ token: string }>("POST", `/api/v1/users/${user.body.id}/access-tokens`, {
    body: { name: `${name}-console`, type: "full-access" },
  });
  secrets.push(token.body.token);
  return { id: user.body.id, token: token.body.token };
}

async function verify(token: string, permission?: string) {
  const res = await ts.anonymous<{ valid: boolean; code: string; permissions?: string[] }>(
    "POST",
    "/api/v1/verify",
    { body: { token, cost: 0, ...(permission ? { permission } : {}) } },
  );
  return res.body;
}

async function newPage(width = 1280, height = 860): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: ts.url });
  context.setDefaultTimeout(15_000);
  contexts.push(context);
  const page = await context.newPage();
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("console", (msg) => {
    if (/Content[- ]Security[- ]Policy/i.test(msg.text())) pageErrors.push(msg.text());
  });
  return page;
}

async function signIn(page: Page, token: string, expectedName: string): Promise<void> {
  await page.goto(`${ts.url}/console/`);
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("whoami").filter({ hasText: expectedName }).waitFor();
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });

const row = (page: Page, name: string) =>
  page.locator("tr[data-token-id]").filter({ has: page.getByText(name, { exact: true }) });

interface NewToken {
  name: string;
  type: "Read-only" | "Full access" | "Custom";
  /** Grid cells to tick, by accessible name: "orders read", "invoices all actions". */
  grid?: string[];
  publishable?: boolean;
  screenshot?: string;
}

/** Creates a token through the dialog; returns the plain token it showed once. */
async function createToken(page: Page, t: NewToken): Promise<string> {
  await page.getByRole("button", { name: "Create new API token" }).click();
  const dialog = page.getByRole("dialog", { name: "Create API token" });
  await dialog.getByLabel("Name", { exact: true }).fill(t.name);
  await dialog.getByLabel("Description").fill(`made by the console test: ${t.type}`);
  await dialog.getByLabel("Token duration").selectOption("30d");
  if (t.publishable) await dialog.getByRole("radio", { name: /^Publishable/ }).check();
  await dialog.getByRole("radio", { name: new RegExp(`^${t.type}`) }).check();
  for (const cell of t.grid ?? []) await dialog.getByRole("checkbox", { name: cell, exact: true }).check();
  if (t.screenshot) await shot(page, t.screenshot);
  await dialog.getByRole("button", { name: "Create token" }).click();
  const issued = page.getByRole("dialog", { name: "Token created" });
  const plain = await issued.getByLabel("Token", { exact: true }).inputValue();
  secrets.push(plain);
  await issued.getByRole("button", { name: "Copy", exact: true }).click();
  await issued.getByRole("button", { name: "Copied", exact: true }).waitFor();
  expect(await page.evaluate("navigator.clipboard.readText()")).toBe(plain);
  if (t.screenshot) await shot(page, `${t.screenshot}-issued`);
  await issued.getByRole("button", { name: "I have copied it" }).click();
  await issued.waitFor({ state: "detached" });
  await row(page, t.name).waitFor();
  return plain;
}

describe("web console", { timeout: 90_000 }, () => {
  beforeAll(async () => {
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    // Fails first, and clearly, when chromium is missing.
    browser = await launchChromium();
    consoleDir = await buildConsole();
    ts = await startTestServer("pglite", { consoleDir });
    for (const [name, description] of [
      ["orders", "customer orders"],
      ["invoices", "billing documents"],
    ]) {
      await ts.admin("POST", "/api/v1/resources", { body: { name, description } });
    }
    alice = await person("alice");
    bob = await person("bob");
    await ts.admin("POST", `/api/v1/users/${bob.id}/access-tokens`, { body: { name: "bob-private-token" } });
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await ts?.close();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  it("serves the console without credentials, under a strict CSP", async () => {
    const res = await fetch(`${ts.url}/console/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
  });

  it("signs in an admin, who sees the admin pages and everyone's tokens", async () => {
    const page = await newPage();
    await page.goto(`${ts.url}/console/`);
    await page.getByLabel("Token").waitFor();
    await shot(page, "sign-in");
    await signIn(page, ts.adminToken, "admin");
    const nav = page.getByRole("navigation", { name: "Console" });
    for (const label of ["API tokens", "Users", "Resources", "Default permissions", "Audit log"]) {
      await nav.getByRole("link", { name: label }).waitFor();
    }
    await page.goto(`${ts.url}/console/?user=${bob.id}`);
    await row(page, "bob-private-token").waitFor();
    // The token itself sits only in this tab's session storage.
    expect(await page.evaluate("Object.values(localStorage).join()")).toBe("");
  });

  it("signs in a user, who sees only their own tokens and no admin pages", async () => {
    const page = await newPage();
    await signIn(page, alice.token, "alice");
    await row(page, "alice-console").waitFor();
    const nav = page.getByRole("navigation", { name: "Console" });
    expect(await nav.getByRole("link", { name: "Users" }).count()).toBe(0);
    expect(await page.getByText("bob-private-token").count()).toBe(0);
    // Asking for bob's tokens directly: the API refuses, the console says so and shows none.
    const refused = await ts.anonymous<{ title: string; detail: string }>(
      "GET",
      `/api/v1/users/${bob.id}/access-tokens`,
      { token: alice.token },
    );
    expect(refused.status).toBe(403);
    await page.goto(`${ts.url}/console/?user=${bob.id}`);
    await page.getByRole("alert").filter({ hasText: refused.body.detail }).waitFor();
    expect(await page.getByText("bob-private-token").count()).toBe(0);
  });

  it("says why a sign-in failed, and hides what a read-only token may not do", async () => {
    const page = await newPage();
    await page.goto(`${ts.url}/console/`);
    await page.getByLabel("Token").fill("tps_not-a-real-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    const error = page.locator("#sign-in-token-error");
    await error.waitFor();
    const refused = await ts.anonymous<{ detail: string }>("GET", "/api/v1/user", {
      token: "tps_not-a-real-token",
    });
    expect(await error.textContent()).toBe(refused.body.detail);
    expect(await page.getByLabel("Token").getAttribute("aria-invalid")).toBe("true");

    const readOnly = await ts.admin<{ token: string }>("POST", `/api/v1/users/${alice.id}/access-tokens`, {
      body: { name: "alice-reader", type: "read-only" },
    });
    secrets.push(readOnly.body.token);
    await page.getByLabel("Token").fill(readOnly.body.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("whoami").filter({ hasText: "alice" }).waitFor();
    await row(page, "alice-console").waitFor();
    for (const action of ["Create new API token", "Edit alice-console", "Revoke alice-console"]) {
      expect(await page.getByRole("button", { name: action }).count(), action).toBe(0);
    }
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(await page.evaluate("Object.keys(sessionStorage).length")).toBe(0);
  });

  it("creates each type with grid permissions; each token holds exactly those", async () => {
    const page = await newPage();
    await signIn(page, alice.token, "alice");
    await row(page, "alice-console").waitFor();

    const readOnly = await createToken(page, { name: "ro-token", type: "Read-only" });
    expect((await verify(readOnly)).permissions).toEqual(["*:read"]);

    const full = await createToken(page, { name: "full-token", type: "Full access" });
    expect((await verify(full)).permissions).toEqual(["*:*"]);

    const custom = await createToken(page, {
      name: "custom-token",
      type: "Custom",
      grid: ["orders create", "orders read", "invoices all actions"],
      screenshot: "create-dialog",
    });
    const held = await verify(custom);
    expect(held.code).toBe("VALID");
    expect([...(held.permissions ?? [])].sort()).toEqual(["invoices:*", "orders:create", "orders:read"]);
    expect((await verify(custom, "orders:delete")).code).toBe("FORBIDDEN");

    const publishable = await createToken(page, {
      name: "public-token",
      type: "Custom",
      grid: ["orders read"],
      publishable: true,
    });
    expect(publishable.startsWith("tpp_")).toBe(true);
    expect((await verify(publishable)).permissions).toEqual(["orders:read"]);
    await shot(page, "tokens-table");

    // Shown once: after a reload (still signed in) it is nowhere in the page or its storage.
    await page.reload();
    await row(page, "custom-token").waitFor();
    const html = await page.content();
    const stored = String(
      await page.evaluate("JSON.stringify([Object.values(sessionStorage), Object.values(localStorage)])"),
    );
    for (const plain of [readOnly, full, custom, publishable]) {
      expect(html).not.toContain(plain);
      expect(stored).not.toContain(plain);
    }
  });

  it("edits a token's name, description and permissions", async () => {
    const page = await newPage();
    await signIn(page, alice.token, "alice");
    await row(page, "custom-token").getByRole("button", { name: "Edit custom-token" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit custom-token" });
    await dialog.getByLabel("Name", { exact: true }).fill("custom-token-edited");
    await dialog.getByLabel("Description").fill("now also deletes orders");
    await dialog.getByRole("checkbox", { name: "orders create", exact: true }).uncheck();
    await dialog.getByRole("checkbox", { name: "orders delete", exact: true }).check();
    await dialog.getByRole("checkbox", { name: "invoices update", exact: true }).uncheck();
    await dialog.getByText("More settings").click();
    await dialog.getByLabel("Allowed domains").fill("shop.example.com\n*.example.org");
    await dialog.getByLabel("Limit the number of uses").check();
    await dialog.getByLabel("Credits remaining").fill("50");
    await dialog.getByLabel("Refill", { exact: true }).check();
    await dialog.getByLabel("Refill amount").fill("100");
    await dialog.getByLabel("Refill interval").selectOption("daily");
    await dialog.getByLabel("Limit requests per time window").check();
    await dialog.getByLabel("Requests per window").fill("10");
    await dialog.getByLabel("Rate limit window").fill("30s");
    await dialog.getByLabel("Metadata").fill('{"team": "shop"}');
    await shot(page, "edit-dialog");
    await dialog.getByRole("button", { name: "Save" }).click();
    await row(page, "custom-token-edited").waitFor();

    const list = await ts.admin<{ items: Record<string, unknown>[] }>(
      "GET",
      `/api/v1/users/${alice.id}/access-tokens`,
    );
    const edited = list.body.items.find((t) => t.name === "custom-token-edited") as
      { description: string; permissions: string[] } | undefined;
    expect(edited).toMatchObject({
      description: "now also deletes orders",
      allowedDomains: ["shop.example.com", "*.example.org"],
      credits: { remaining: 50, refill: { amount: 100, interval: "daily" } },
      rateLimit: { limit: 10, window: "30s" },
      metadata: { team: "shop" },
    });
    expect([...(edited?.permissions ?? [])].sort()).toEqual([
      "invoices:create",
      "invoices:delete",
      "invoices:read",
      "orders:delete",
      "orders:read",
    ]);
  });

  it("regenerates with a grace period: the new token works, and so does the old one meanwhile", async () => {
    const page = await newPage();
    await signIn(page, alice.token, "alice");
    const before = await createToken(page, { name: "rotating", type: "Read-only" });
    await row(page, "rotating").getByRole("button", { name: "Regenerate rotating" }).click();
    const dialog = page.getByRole("dialog", { name: "Regenerate rotating" });
    await dialog.getByLabel("Grace period for the current token").selectOption("1h");
    await dialog.getByRole("button", { name: "Regenerate", exact: true }).click();
    const issued = page.getByRole("dialog", { name: "Token regenerated" });
    const after = await issued.getByLabel("Token", { exact: true }).inputValue();
    secrets.push(after);
    await issued.getByText("You will not see it again").waitFor();
    await issued.getByRole("button", { name: "I have copied it" }).click();

    expect(after).not.toBe(before);
    expect((await verify(after)).code).toBe("VALID");
    expect((await verify(before)).code).toBe("VALID");
    await row(page, "rotating").getByText("In grace").waitFor();
    await shot(page, "in-grace");

    // Without a grace period the previous secret stops at once.
    await row(page, "rotating").getByRole("button", { name: "Regenerate rotating" }).click();
    await page
      .getByRole("dialog", { name: "Regenerate rotating" })
      .getByRole("button", { name: "Regenerate", exact: true })
      .click();
    const third = await page
      .getByRole("dialog", { name: "Token regenerated" })
      .getByLabel("Token", { exact: true })
      .inputValue();
    secrets.push(third);
    await page.getByRole("button", { name: "I have copied it" }).click();
    expect((await verify(third)).code).toBe("VALID");
    expect((await verify(after)).code).toBe("NOT_FOUND");
    await row(page, "rotating").getByText("Active").waitFor();
  });

  it("revokes a token after confirmation", async () => {
    const page = await newPage();
    await signIn(page, alice.token, "alice");
    const plain = await createToken(page, { name: "doomed", type: "Read-only" });
    await row(page, "doomed").getByRole("button", { name: "Revoke doomed" }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke doomed" });
    await shot(page, "revoke-dialog");
    await dialog.getByRole("button", { name: "Revoke token" }).click();
    await row(page, "doomed").waitFor({ state: "detached" });
    expect((await verify(plain)).code).toBe("NOT_FOUND");
  });

  it("updates the table live from changes made through the API", async () => {
    const page = await newPage();
    await signIn(page, alice.token, "alice");
    await page.getByText("Live", { exact: true }).waitFor();
    const created = await ts.admin<{ id: string; token: string }>(
      "POST",
      `/api/v1/users/${alice.id}/access-tokens`,
      { body: { name: "made-elsewhere" } },
    );
    const lastUsed = row(page, "made-elsewhere").locator('td[data-label="Last used"]');
    expect(await lastUsed.textContent()).toContain("never");
    // A use elsewhere (a verification) shows up too, without a reload.
    expect((await verify(created.body.token)).valid).toBe(true);
    await lastUsed.getByText("just now").waitFor();
    await ts.admin("PATCH", `/api/v1/users/${alice.id}/access-tokens/${created.body.id}`, {
      body: { name: "renamed-elsewhere", description: "changed by the API" },
    });
    await row(page, "renamed-elsewhere").getByText("changed by the API").waitFor();
    await row(page, "made-elsewhere").waitFor({ state: "detached" });
    await ts.admin("DELETE", `/api/v1/users/${alice.id}/access-tokens/${created.body.id}`);
    await row(page, "renamed-elsewhere").waitFor({ state: "detached" });
  });

  it("shows the API's field errors next to the fields", async () => {
    const page = await newPage();
    await signIn(page, alice.token, "alice");
    await page.getByRole("button", { name: "Create new API token" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API token" });
    await dialog.getByLabel("Name", { exact: true }).fill("  ");
    await dialog.getByText("More settings").click();
    await dialog.getByLabel("Allowed IP ranges").fill("10.0.0.0/8\nnot-an-ip");
    await dialog.getByRole("button", { name: "Create token" }).click();
    const ipError = dialog.locator("#token-ips-error");
    await ipError.waitFor();
    expect(await ipError.textContent()).toContain("must be an IP address or CIDR range");
    expect(await dialog.locator("#token-name-error").textContent()).toContain("must not be empty");
    expect(await dialog.getByLabel("Allowed IP ranges").getAttribute("aria-invalid")).toBe("true");
    await dialog.getByRole("alert").filter({ hasText: "Invalid request" }).waitFor();
    await shot(page, "field-error");
    // Escape closes the dialog and gives focus back to the button that opened it.
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await page.evaluate("document.activeElement?.textContent")).toContain("Create new API token");
  });

  it("lets an admin manage users, resources, default permissions and read the audit log", async () => {
    const page = await newPage();
    await signIn(page, ts.adminToken, "admin");
    const nav = page.getByRole("navigation", { name: "Console" });

    await nav.getByRole("link", { name: "Users" }).click();
    await page.getByRole("link", { name: "alice" }).waitFor();
    await page.getByRole("button", { name: "Create user" }).click();
    const userDialog = page.getByRole("dialog", { name: "Create user" });
    await userDialog.getByLabel("Name").fill("carol");
    await userDialog.getByRole("button", { name: "Create user" }).click();
    await page.getByRole("link", { name: "carol" }).waitFor();
    await shot(page, "users");
    const carol = await ts.admin<{ items: unknown[] }>("GET", "/api/v1/users?name=carol");
    expect(carol.body.items).toHaveLength(1);

    await nav.getByRole("link", { name: "Resources" }).click();
    await page.getByRole("button", { name: "Register resource" }).click();
    const resDialog = page.getByRole("dialog", { name: "Register resource" });
    await resDialog.getByLabel("Name").fill("reports");
    await resDialog.getByLabel("Routes").fill("/reports GET,HEAD");
    await resDialog.getByRole("button", { name: "Register" }).click();
    await page.getByRole("cell", { name: "/reports GET,HEAD" }).waitFor();
    await shot(page, "resources");
    const reports = await ts.admin<{ routes: unknown }>("GET", "/api/v1/resources/reports");
    expect(reports.body.routes).toEqual([{ pathPrefix: "/reports", methods: ["GET", "HEAD"] }]);

    await nav.getByRole("link", { name: "Default permissions" }).click();
    await page.getByRole("checkbox", { name: "reports read", exact: true }).check();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.").waitFor();
    await shot(page, "default-permissions");
    const defaults = await ts.admin<{ permissions: string[] }>("GET", "/api/v1/settings/default-permissions");
    expect(defaults.body.permissions).toEqual(["reports:read"]);

    await nav.getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("cell", { name: "settings.default-permissions" }).waitFor();
    await page.getByLabel("Actor (user id)").fill(alice.id);
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.getByRole("cell", { name: "token.regenerate" }).first().waitFor();
    await waitFor(
      async () => (await page.getByRole("cell", { name: "settings.default-permissions" }).count()) === 0,
      {
        what: "the actor filter to apply",
      },
    );
    await shot(page, "audit");
  });

  it("filters by name and pages through many tokens, oldest first", async () => {
    const dave = await person("dave");
    // One after another, so creation times order them as the API does.
    for (let i = 0; i < 55; i++) {
      await ts.admin("POST", `/api/v1/users/${dave.id}/access-tokens`, {
        body: { name: `bulk-${String(i).padStart(2, "0")}` },
      });
    }
    const page = await newPage();
    await signIn(page, dave.token, "dave");
    const pager = page.getByRole("navigation", { name: "Pages" });
    await pager.getByText("1–25 of 56 tokens").waitFor();
    await pager.getByRole("button", { name: "Next" }).click();
    await pager.getByText("26–50 of 56 tokens").waitFor();
    const names = await page.locator("tr[data-token-id] .token-name").allTextContents();
    expect(names).toHaveLength(25);
    // Page 2 holds the 26th to 50th oldest, in the API's order.
    const created = await ts.admin<{ items: { name: string }[] }>(
      "GET",
      `/api/v1/users/${dave.id}/access-tokens?limit=500`,
    );
    expect(names).toEqual(created.body.items.slice(25, 50).map((t) => t.name));
    await page.getByPlaceholder("Filter by name").fill("bulk-5");
    await pager.getByText("1–5 of 5 tokens").waitFor();
    expect(await page.locator("tr[data-token-id] .token-name").allTextContents()).toEqual([
      ...created.body.items.map((t) => t.name).filter((n) => n.includes("bulk-5")),
    ]);
  });

  it("works at a narrow width", async () => {
    const page = await newPage(400, 860);
    await signIn(page, alice.token, "alice");
    await row(page, "alice-console").waitFor();
    await shot(page, "narrow-tokens");
    await page.getByRole("button", { name: "Create new API token" }).click();
    await page
      .getByRole("dialog", { name: "Create API token" })
      .getByRole("radio", { name: /^Custom/ })
      .check();
    await shot(page, "narrow-create");
  });

  it("never sends a token where the server logs it, and raised no CSP violation", () => {
    for (const secret of [...secrets, ts.adminToken]) expect(ts.logs.text).not.toContain(secret);
    expect(pageErrors).toEqual([]);
  });
});
