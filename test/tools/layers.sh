#!/bin/sh
# The include graph of lib/ and kernels/ follows the layers of HACKING.md (scripts/check-layers).
exec "$(dirname "$0")/../../scripts/check-layers" "${srcdir:-$(dirname "$0")/../..}"
