#!/bin/sh
# build.sh SRCDIR BUILDDIR: builds the libFuzzer harnesses of test/fuzz (make fuzz runs it).
# The decoders they exercise are compiled again here with clang's coverage and ASan/UBSan; the
# rest of the library comes uninstrumented from libmpcomm_internal's archive. Environment (from
# make): FUZZ_CXX (clang++ with libFuzzer), MPICXX, FUZZ_CPPFLAGS, FUZZ_LIBS. Only what is out of
# date is rebuilt.
set -e
src=$1 build=$2
out=$build/test/fuzz
mkdir -p "$out/obj"
# Open MPI's and MPICH's wrappers take the compiler from these.
cxx="env OMPI_CXX=$FUZZ_CXX MPICH_CXX=$FUZZ_CXX $MPICXX"
flags="-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
decoders="lib/tensordict/metadata.cpp lib/tensordict/dict_message.cpp lib/group/protocol.cpp
  lib/bootstrap/rendezvous_protocol.cpp lib/group/shm_ring.cpp lib/group/object_channels.cpp
  lib/core/hmac.cpp"
harnesses="fuzz_msgpack fuzz_tensordict_metadata fuzz_tensordict_message fuzz_eager_header
  fuzz_rendezvous fuzz_ring_slot fuzz_object_slot"
newer() {  # newer TARGET SOURCES...: true when TARGET is missing or older than a source
  t=$1
  shift
  test -e "$t" || return 0
  for s in "$@"; do test "$s" -nt "$t" && return 0; done
  return 1
}
headers=$(ls "$src"/lib/*/*.hpp "$src"/include/*.h "$src"/include/*.hpp "$src"/test/fuzz/*.hpp)
objects=
for d in $decoders; do
  o=$out/obj/$(echo "$d" | tr / _ | sed 's/\.cpp$/.o/')
  objects="$objects $o"
  if newer "$o" "$src/$d" $headers; then
    echo "  FUZZCXX  $d"
    # shellcheck disable=SC2086
    $cxx $flags -fsanitize=fuzzer-no-link $FUZZ_CPPFLAGS -c "$src/$d" -o "$o"
  fi
done
archive=$build/.libs/libmpcomm_internal.a
for h in $harnesses; do
  # shellcheck disable=SC2086
  if newer "$out/$h" "$src/test/fuzz/$h.cpp" $objects "$archive" $headers; then
    echo "  FUZZLD   test/fuzz/$h"
    # shellcheck disable=SC2086
    $cxx $flags -fsanitize=fuzzer $FUZZ_CPPFLAGS -I"$src/test/fuzz" "$src/test/fuzz/$h.cpp" \
      $objects "$archive" $FUZZ_LIBS -o "$out/$h"
  fi
done
