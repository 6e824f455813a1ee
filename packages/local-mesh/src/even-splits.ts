/**
 * A stand-in for Math.random that walks evenly through [0, 1): with it, every `steps` weighted
 * choices in a row split exactly by weight (a 99:1 route sends 1 in each 100 to the 1), whatever
 * the order of the requests. For repeatable runs and tests (`pnpm start -- --even-splits`); on
 * Cloud Run each choice is random.
 */
export function evenSplits(steps = 100): () => number {
  let i = 0;
  return () => {
    const x = (i + 0.5) / steps;
    i = (i + 1) % steps;
    return x;
  };
}
