/** Small helpers to set a running token server up over its API. */
export async function api<T>(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function adminUserId(url: string, admin: string): Promise<string> {
  return (await api<{ id: string }>(url, admin, "GET", "/api/v1/user")).id;
}

export async function createToken(
  url: string,
  admin: string,
  userId: string,
  body: Record<string, unknown>,
): Promise<{ id: string; token: string }> {
  return api(url, admin, "POST", `/api/v1/users/${userId}/access-tokens`, body);
}
