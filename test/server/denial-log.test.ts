import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/server/index.js";
import { createDenialLog } from "../../src/server/http/denial-log.js";
import { LogCapture } from "../support/token-server.js";
import { waitFor } from "../support/wait.js";

describe("the log of refused verifications", () => {
  const setup = () => {
    const capture = new LogCapture();
    let clock = 1_000_000;
    const denials = createDenialLog(createLogger({ level: "info", destination: capture }), 5, () => clock);
    const lines = () => capture.lines.map((l) => JSON.parse(l) as { msg: string; suppressed?: number });
    return { denials, lines, advance: (ms: number) => (clock += ms) };
  };

  it("writes at most N lines a second, then one line counting what it left out", () => {
    const { denials, lines, advance } = setup();
    for (let i = 0; i < 12; i++) denials.record({ code: "NOT_FOUND", token: "tps_abcd" });
    expect(lines().filter((l) => l.msg === "verification refused")).toHaveLength(5);
    advance(1000);
    denials.record({ code: "EXPIRED", denial: { reason: "expired" }, token: "tps_efgh" });
    const all = lines();
    expect(all.filter((l) => l.suppressed !== undefined)).toEqual([
      expect.objectContaining({
        suppressed: 7,
        msg: "7 more refused verification(s) not logged (at most 5 a second)",
      }),
    ]);
    expect(all.at(-1)).toMatchObject({ msg: "verification refused", code: "EXPIRED", token: "tps_efgh" });
    denials.close();
  });

  it("reports the count when the flood stops, without another refusal to trigger it", async () => {
    const { denials, lines } = setup();
    for (let i = 0; i < 8; i++) denials.record({ code: "NOT_FOUND" });
    // The fake clock stands still, so the summary comes from the timer at the window's end.
    const summary = await waitFor(() => lines().find((l) => l.suppressed !== undefined), {
      what: "the summary line",
      timeoutMs: 3000,
    });
    expect(summary.suppressed).toBe(3);
    denials.close();
  });
});
