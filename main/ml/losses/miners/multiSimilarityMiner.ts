import { allPairsMiner, type PairMiner } from '../metricLoss';

/**
 * Multi-Similarity pair mining (Wang et al. 2019, eq. 3-4), per anchor i:
 *   keep negative k if S_ik > min over positives S_ij - epsilon,
 *   keep positive k if S_ik < max over negatives S_ij + epsilon.
 */
export function multiSimilarityMiner(epsilon = 0.1): PairMiner {
  return {
    name: `multi-similarity(eps=${epsilon})`,
    mine(similarity, labels) {
      const masks = allPairsMiner.mine(similarity, labels);
      const { size, positive, negative } = masks;
      for (let i = 0; i < size; i++) {
        let hardestPositive = Infinity;
        let hardestNegative = -Infinity;
        for (let k = 0; k < size; k++) {
          const s = similarity[i * size + k] as number;
          if (positive[i * size + k]) hardestPositive = Math.min(hardestPositive, s);
          if (negative[i * size + k]) hardestNegative = Math.max(hardestNegative, s);
        }
        for (let k = 0; k < size; k++) {
          const s = similarity[i * size + k] as number;
          if (negative[i * size + k] && !(s > hardestPositive - epsilon)) negative[i * size + k] = 0;
          if (positive[i * size + k] && !(s < hardestNegative + epsilon)) positive[i * size + k] = 0;
        }
      }
      return masks;
    },
  };
}
