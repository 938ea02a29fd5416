import * as tf from '@tensorflow/tfjs';

/** Where a parameter sits, so adaptable groups (issue 5) can be selected by name. */
export type ParameterKind = 'conv' | 'batchnorm' | 'rectifier' | 'head' | 'statistic';

export interface ParameterInfo {
  /** Short name used in weight files and groups, e.g. 'stage2/conv1/kernel'. */
  name: string;
  /** 1-based backbone stage, or 0 for the projection head. */
  stage: number;
  kind: ParameterKind;
  /** Statistics (batch-norm running mean/variance) are state, never trained. */
  trainable: boolean;
}

let storeCounter = 0;

/**
 * Owns the tf.Variables of one network. tfjs variable names are global, so each store prefixes its
 * own unique id; callers only ever see the short names.
 */
export class ParameterStore {
  readonly infos: ParameterInfo[] = [];
  readonly variables = new Map<string, tf.Variable>();
  private readonly prefix = `simila${++storeCounter}`;

  add(info: ParameterInfo, initial: tf.Tensor): tf.Variable {
    if (this.variables.has(info.name)) throw new Error(`duplicate parameter ${info.name}`);
    const variable = tf.variable(initial, info.trainable, `${this.prefix}/${info.name}`);
    initial.dispose();
    this.infos.push(info);
    this.variables.set(info.name, variable);
    return variable;
  }

  get(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (!variable) throw new Error(`unknown parameter ${name}`);
    return variable;
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }
}

/** He-normal initialisation for a conv or dense kernel, seeded so runs are reproducible. */
export function heNormal(shape: number[], fanIn: number, seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed);
}
