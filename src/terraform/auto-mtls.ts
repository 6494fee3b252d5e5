import { webcrypto, X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";

/** The plugin's own TLS identity for go-plugin's AutoMTLS, made fresh for every run. */
export interface PluginIdentity {
  certPem: string;
  keyPem: string;
  /** DER of the certificate, base64 without padding: the handshake line's last field. */
  handshakeCert: string;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/**
 * A self-signed certificate for "localhost", valid as server and client, and a CA so the
 * peer can anchor on it directly (Terraform adds it as the only root for this connection).
 */
export async function generatePluginIdentity(now = new Date()): Promise<PluginIdentity> {
  x509.cryptoProvider.set("default", webcrypto as Parameters<typeof x509.cryptoProvider.set>[1]);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    name: "CN=localhost, O=tokenplane",
    notBefore: new Date(now.getTime() - 30_000),
    notAfter: new Date(now.getTime() + 30 * 86_400_000),
    signingAlgorithm: ALGORITHM,
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- CryptoKeyPair is a DOM type missing from the node lib
    keys: keys as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]["keys"],
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature |
          x509.KeyUsageFlags.keyEncipherment |
          x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "localhost" }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPem =
    `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END PRIVATE KEY-----\n`.replace(
      "\n\n",
      "\n",
    );
  const der = Buffer.from(cert.rawData);
  return { certPem: cert.toString("pem"), keyPem, handshakeCert: der.toString("base64").replace(/=+$/, "") };
}

/** Checks PLUGIN_CLIENT_CERT is one readable certificate before trusting only it. */
export function parseClientCert(pem: string): string {
  try {
    new X509Certificate(pem);
  } catch (err) {
    throw new Error(`PLUGIN_CLIENT_CERT is not a PEM certificate: ${(err as Error).message}`);
  }
  return pem;
}
