/**
 * The part of the WebAssembly JavaScript API the record scanner uses
 * (https://webassembly.github.io/spec/js-api/). TypeScript declares it only in its DOM
 * library, which a Node action does not load.
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array)
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>)
    readonly exports: Record<string, unknown>
  }
  class Memory {
    readonly buffer: ArrayBuffer
    grow(pages: number): number
  }
  class Global {
    value: unknown
  }
}
