// Shapes of the Emscripten decoder classes exposed by the @cornerstonejs codec builds.

export interface WasmFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): WasmFrameInfo;
  delete(): void;
}

export interface CharlsDecoder extends WasmDecoder {
  getInterleaveMode(): number;
  getNearLossless(): number;
}

export interface CharlsModule {
  JpegLSDecoder: new () => CharlsDecoder;
}
export interface LibJpegTurboModule {
  JPEGDecoder: new () => WasmDecoder;
}
export interface OpenJpegModule {
  J2KDecoder: new () => WasmDecoder;
}
export interface OpenJphModule {
  HTJ2KDecoder: new () => WasmDecoder;
}
