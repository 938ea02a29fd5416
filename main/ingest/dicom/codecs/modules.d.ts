// The @cornerstonejs wasm codec builds ship without type declarations: each default export is an
// Emscripten module factory. Only the members this decoder uses are declared.
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (overrides?: object) => Promise<unknown>;
  export default factory;
}
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: (overrides?: object) => Promise<unknown>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (overrides?: object) => Promise<unknown>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjph/wasmjs' {
  const factory: (overrides?: object) => Promise<unknown>;
  export default factory;
}
