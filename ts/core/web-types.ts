/**
 * The Web platform types the package's declarations name (WebAssembly.Module
 * and Memory, MessagePort), declared here as well, empty, so that a project
 * compiled without the DOM library (Node with `lib: ["es2022"]` and
 * `skipLibCheck: false`) type-checks them. Where the DOM library or
 * @types/node declares them, these merge into those declarations and change
 * nothing.
 */
declare global {
  namespace WebAssembly {
    interface Module {}
    interface Memory {}
  }
  interface MessagePort {}
}

export {};
