import { describe, expect, it } from "vitest";
import type { AccessToken as ServerToken } from "../../src/api/index.js";
import type { AccessTokenStatus } from "../../src/crd/index.js";
import {
  planRotation,
  renewalDue,
  ROTATION_POLICIES,
  type RotationInput,
  type RotationPolicy,
  rotationRequested,
  secretHoldsNoValue,
  secretKindChanged,
  serverChanged,
  tokenMissing,
  valueMismatch,
} from "../../src/operator/access-token/rotation-plan.js";
import type { Issuance } from "../../src/operator/secret-contract.js";
import { resolvedSpec as spec, serverToken as baseServerToken } from "../support/access-token-fixtures.js";

/* The rotation plan is pure: inputs in, a decision (reason and message) or none out. */

const NOW = Date.parse("2026-01-10T12:00:00Z");
const HOUR = 3_600_000;
const SERVER = "ClusterTokenServer/embedded";
const TOKEN_ID = "8e0c1d1e-1111-4e0e-9d55-2c1f7c6a9e10";
const VALUE = "tps_abcd_rest-of-the-value";

/** Created on the 1st of the month the plan runs in. */
const serverToken = (over: Partial<ServerToken> = {}): ServerToken =>
  baseServerToken({
    id: TOKEN_ID,
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
    ...over,
  });

function issuance(over: Partial<Issuance> = {}): Issuance {
  return {
    token: VALUE,
    tokenId: TOKEN_ID,
    revision: 1,
    issuedAt: "2026-01-01T00:00:00Z",
    reason: "Initial",
    server: SERVER,
    ...over,
  };
}

/** An AccessToken whose Secret holds the server's current value: nothing is due. */
function settled(over: Partial<RotationInput> = {}): RotationInput {
  return {
    spec: spec(),
    status: { revision: 1 },
    rotateRequested: undefined,
    issuance: issuance(),
    server: { key: SERVER, token: serverToken() },
    now: NOW,
    ...over,
  };
}

const fromCaches = (over: Partial<RotationInput> = {}): RotationInput => {
  const { server: _asked, ...input } = settled(over);
  return input;
};

describe("the rotation plan", () => {
  it("issues nothing while the Secret holds the server's current value", () => {
    expect(planRotation(settled())).toBeUndefined();
    expect(planRotation(fromCaches())).toBeUndefined();
  });

  describe("each policy", () => {
    it("secretHoldsNoValue: Initial before any issuance, Drift after one", () => {
      expect(secretHoldsNoValue(settled())).toBeUndefined();
      expect(secretHoldsNoValue(settled({ issuance: undefined, status: undefined }))?.reason).toBe("Initial");
      expect(secretHoldsNoValue(settled({ issuance: undefined, status: { revision: 3 } }))?.reason).toBe(
        "Drift",
      );
      // The caches alone suffice for it.
      expect(secretHoldsNoValue(fromCaches({ issuance: undefined, status: undefined }))?.reason).toBe(
        "Initial",
      );
    });

    it("serverChanged: SpecChanged when the value was issued on another server; needs the server", () => {
      const moved = { key: "TokenServer/elsewhere", token: serverToken() };
      expect(serverChanged(settled({ server: moved }))).toEqual({
        reason: "SpecChanged",
        message: `serverRef changed from ${SERVER} to TokenServer/elsewhere`,
      });
      expect(serverChanged(settled())).toBeUndefined();
      expect(serverChanged(fromCaches())).toBeUndefined();
    });

    it("tokenMissing: re-issue when the server has no token (Drift after an issuance, Initial before)", () => {
      expect(tokenMissing(settled({ server: { key: SERVER, token: undefined } }))?.reason).toBe("Drift");
      expect(
        tokenMissing(
          settled({ issuance: issuance({ revision: 0 }), server: { key: SERVER, token: undefined } }),
        )?.reason,
      ).toBe("Initial");
      expect(tokenMissing(settled())).toBeUndefined();
      expect(tokenMissing(fromCaches())).toBeUndefined();
    });

    it("valueMismatch: Drift when the Secret's value is another token's or a superseded one", () => {
      const other = settled({
        server: { key: SERVER, token: serverToken({ id: "8e0c1d1e-3333-4e0e-9d55-2c1f7c6a9e10" }) },
      });
      expect(valueMismatch(other)?.reason).toBe("Drift");
      const regenerated = settled({
        server: { key: SERVER, token: serverToken({ displayPrefix: "tps_zzzz" }) },
      });
      expect(valueMismatch(regenerated)?.reason).toBe("Drift");
      expect(valueMismatch(settled())).toBeUndefined();
    });

    it("secretKindChanged: SpecChanged when the kind or signedRequests differ from the spec", () => {
      expect(secretKindChanged(settled({ spec: spec({ signedRequests: true }) }))?.reason).toBe(
        "SpecChanged",
      );
      expect(
        secretKindChanged(settled({ server: { key: SERVER, token: serverToken({ kind: "publishable" }) } }))
          ?.reason,
      ).toBe("SpecChanged");
      expect(secretKindChanged(settled())).toBeUndefined();
    });

    it("rotationRequested: Manual for a rotate annotation no issuance acted on yet", () => {
      expect(rotationRequested(settled({ rotateRequested: "now" }))).toEqual({
        reason: "Manual",
        message: "rotation requested (now)",
      });
      expect(
        rotationRequested(settled({ rotateRequested: "now", issuance: issuance({ rotateHandled: "now" }) })),
      ).toBeUndefined();
      // The Secret's record first, the status's as a fallback.
      const handledInStatus = { revision: 1, lastRotateAnnotation: "now" } as AccessTokenStatus;
      expect(rotationRequested(settled({ rotateRequested: "now", status: handledInStatus }))).toBeUndefined();
      expect(
        rotationRequested(
          settled({
            rotateRequested: "now",
            status: handledInStatus,
            issuance: issuance({ rotateHandled: "before" }),
          }),
        )?.reason,
      ).toBe("Manual");
      expect(rotationRequested(fromCaches({ rotateRequested: "now" }))?.reason).toBe("Manual");
    });

    it("renewalDue: Scheduled once the token expired or its renewal time came", () => {
      const expiring = spec({ duration: "30d", rotation: { renewBefore: "1d" } });
      const token = (expiresAt: number) => ({
        key: SERVER,
        token: serverToken({ expiresAt: new Date(expiresAt).toISOString() }),
      });
      expect(renewalDue(settled({ spec: expiring, server: token(NOW + 2 * 24 * HOUR) }))).toBeUndefined();
      expect(renewalDue(settled({ spec: expiring, server: token(NOW + HOUR) }))?.reason).toBe("Scheduled");
      expect(renewalDue(settled({ spec: expiring, server: token(NOW - HOUR) }))?.message).toMatch(/expired/);
      // An expired token is due even where no renewal is scheduled (an unlimited duration).
      expect(
        renewalDue(settled({ spec: spec({ duration: "unlimited" }), server: token(NOW - HOUR) }))?.reason,
      ).toBe("Scheduled");
      expect(
        renewalDue(settled({ spec: spec({ duration: "unlimited" }), server: token(NOW + HOUR) })),
      ).toBeUndefined();
      expect(renewalDue(settled())).toBeUndefined();
    });

    it("renewalDue from the caches: the renewal time the status recorded", () => {
      const expiring = spec({ duration: "30d", rotation: { renewBefore: "1d" } });
      const status = (at: number) =>
        ({ revision: 1, renewalTime: new Date(at).toISOString() }) as AccessTokenStatus;
      expect(renewalDue(fromCaches({ spec: expiring, status: status(NOW - 1000) }))?.reason).toBe(
        "Scheduled",
      );
      expect(renewalDue(fromCaches({ spec: expiring, status: status(NOW + 1000) }))).toBeUndefined();
      expect(
        renewalDue(fromCaches({ spec: spec({ duration: "unlimited" }), status: status(NOW - 1000) })),
      ).toBeUndefined();
    });
  });

  describe("the order", () => {
    it("is: no value, server changed, token missing, value mismatch, kind changed, requested, renewal", () => {
      expect(ROTATION_POLICIES).toEqual([
        secretHoldsNoValue,
        serverChanged,
        tokenMissing,
        valueMismatch,
        secretKindChanged,
        rotationRequested,
        renewalDue,
      ]);
    });

    it("the first policy that answers wins", () => {
      const everything = settled({
        spec: spec({ signedRequests: true }),
        rotateRequested: "now",
        server: {
          key: SERVER,
          token: serverToken({ displayPrefix: "tps_zzzz", expiresAt: new Date(NOW - HOUR).toISOString() }),
        },
      });
      expect(planRotation(everything)?.reason).toBe("Drift");
      expect(
        planRotation({ ...everything, server: { key: "TokenServer/elsewhere", token: undefined } })?.reason,
      ).toBe("SpecChanged");
      expect(
        planRotation({
          ...everything,
          server: { key: SERVER, token: serverToken({ signedRequests: false }) },
        })?.reason,
      ).toBe("SpecChanged");
      expect(
        planRotation({ ...everything, spec: spec(), server: { key: SERVER, token: serverToken() } })?.reason,
      ).toBe("Manual");
      expect(planRotation({ ...everything, issuance: undefined })?.reason).toBe("Drift");
      expect(planRotation({ ...everything, issuance: undefined, status: undefined })?.reason).toBe("Initial");
    });

    it("a chain is any list of policies, evaluated in its order", () => {
      const calls: string[] = [];
      const named =
        (name: string, answer: boolean): RotationPolicy =>
        () => {
          calls.push(name);
          return answer ? { reason: "Manual", message: name } : undefined;
        };
      expect(planRotation(settled(), [named("a", false), named("b", true), named("c", true)])?.message).toBe(
        "b",
      );
      expect(calls).toEqual(["a", "b"]);
      expect(planRotation(settled(), [])).toBeUndefined();
    });

    it("with no token on the server the plan always answers (a create is always an issuance)", () => {
      for (const over of [{}, { issuance: undefined }, { issuance: undefined, status: undefined }]) {
        expect(planRotation(settled({ ...over, server: { key: SERVER, token: undefined } }))).toBeDefined();
        expect(
          planRotation(settled({ ...over, server: { key: "TokenServer/x", token: undefined } })),
        ).toBeDefined();
      }
    });
  });
});
