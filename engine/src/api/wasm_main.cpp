// The wasm module's entry translation unit. Everything it exports is the C
// ABI in api.cpp (linked from elex_core); this file only gives the link a
// main-less executable target.
#include "elex/elex.h"
