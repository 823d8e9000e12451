#!/bin/sh
# Every C, C++ and CUDA source follows .clang-format (scripts/check-format; 77 without clang-format).
exec "$(dirname "$0")/../../scripts/check-format" "${srcdir:-$(dirname "$0")/../..}"
