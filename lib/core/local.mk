libmpcomm_la_SOURCES += \
	%reldir%/env.cpp %reldir%/env.hpp \
	%reldir%/error.hpp \
	%reldir%/log.cpp %reldir%/log.hpp \
	%reldir%/status.cpp
