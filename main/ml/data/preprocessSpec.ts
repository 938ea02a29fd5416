/**
 * How raw images become network input. Recorded in the model manifest so that training, evaluation,
 * the embedding job and search all prepare pixels the same way.
 */
export interface PreprocessSpec {
  /** Square side in pixels. */
  inputSize: number;
  /** 1: grayscale (colour converted to luminance), 3: RGB (grayscale replicated). */
  channels: 1 | 3;
  /** cover: scale to cover the square, then centre-crop; contain: fit inside, pad with black. */
  resize: 'cover' | 'contain';
  /** Applied to values scaled to [0, 1]: (x - mean[c]) / std[c]. */
  mean: number[];
  std: number[];
  /**
   * 16-bit and modality (DICOM) frames: 'minmax' maps the frame's own range to [0, 1];
   * 'window' maps [center - width/2, center + width/2] to [0, 1] and clips.
   */
  highDepth: { rule: 'minmax' } | { rule: 'window'; center: number; width: number };
}

export function defaultPreprocessSpec(inputSize: number, channels: 1 | 3 = 1): PreprocessSpec {
  return {
    inputSize,
    channels,
    resize: 'cover',
    mean: Array.from({ length: channels }, () => 0.5),
    std: Array.from({ length: channels }, () => 0.5),
    highDepth: { rule: 'minmax' },
  };
}
