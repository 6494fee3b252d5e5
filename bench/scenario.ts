/** One benchmark's result: raw figures, and each target with whether it was met. */
export interface Target {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ScenarioResult {
  name: string;
  metrics: Record<string, number>;
  targets: Target[];
}

export const ratio = (a: number, b: number): number => (b === 0 ? 0 : Math.round((a / b) * 100) / 100);

export function atLeast(name: string, value: number, bound: number, unit = "×"): Target {
  return { name, ok: value >= bound, detail: `${value}${unit} (target ≥ ${bound}${unit})` };
}

export function atMost(name: string, value: number, bound: number, unit = "×"): Target {
  return { name, ok: value <= bound, detail: `${value}${unit} (target ≤ ${bound}${unit})` };
}
