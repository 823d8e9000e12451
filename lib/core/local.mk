libmpcomm_la_SOURCES += \
	%reldir%/env.cpp %reldir%/env.hpp \
	%reldir%/error.hpp \
	%reldir%/log.cpp %reldir%/log.hpp \
	%reldir%/status.cpp
# SHA-256 (libcrypto or nettle), for configuration hashes.
libmpcomm_la_SOURCES += %reldir%/sha256.cpp %reldir%/sha256.hpp
