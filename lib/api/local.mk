# The C API: every extern "C" function, one file per family of man3 pages, each one call of the
# entry helper (entry.hpp) over the layers below.
libmpcomm_internal_la_SOURCES += \
	%reldir%/entry.hpp \
	%reldir%/data.cpp \
	%reldir%/dp.cpp \
	%reldir%/gpu.cpp \
	%reldir%/group.cpp \
	%reldir%/join.cpp \
	%reldir%/layout.cpp \
	%reldir%/mem.cpp \
	%reldir%/message_queue.cpp \
	%reldir%/node.cpp \
	%reldir%/objects.cpp \
	%reldir%/parallel_config.cpp \
	%reldir%/pp_indices.cpp \
	%reldir%/state.cpp \
	%reldir%/status.cpp \
	%reldir%/tensor_dict.cpp \
	%reldir%/tensor_dict_exchange.cpp \
	%reldir%/version.cpp
