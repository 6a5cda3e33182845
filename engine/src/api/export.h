// Marks a C ABI function as exported from the wasm module (kept alive
// through -O3/LTO); nothing on native builds. Internal to the engine.
#ifndef ELEX_EXPORT_H
#define ELEX_EXPORT_H

#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>
#define ELEX_EXPORT EMSCRIPTEN_KEEPALIVE
#else
#define ELEX_EXPORT
#endif

#endif  // ELEX_EXPORT_H
