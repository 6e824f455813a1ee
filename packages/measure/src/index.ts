// What the traffic tools, the bench and the mesh's own tests measure with: one definition each.
export { type LoadOptions, type LoadResult, runLoad } from './load.ts';
export {
  nearestRank,
  type PercentileInterval,
  type Percentiles,
  percentile,
  percentileInterval,
  percentiles,
} from './percentile.ts';
export { requestsToSee, requestsToTell } from './sample-size.ts';
export {
  answeredBy,
  judge,
  outcomeOf,
  parseExpect,
  type SplitVerdict,
  wilson,
  wilsonCorrected,
  zFor,
} from './split-stats.ts';
