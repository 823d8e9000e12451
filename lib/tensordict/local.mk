# Tensor dictionaries: the dict, its metadata (MessagePack), the message a dict starts with (the
# whole dict when it is packed), and its exchange (broadcast, send, recv with the all_gather_group
# slicing) over groups.
libmpcomm_internal_la_SOURCES += \
	%reldir%/dict_message.cpp %reldir%/dict_message.hpp \
	%reldir%/exchange.cpp %reldir%/exchange.hpp \
	%reldir%/metadata.cpp %reldir%/metadata.hpp \
	%reldir%/receive.cpp %reldir%/receive.hpp \
	%reldir%/tensor_dict.cpp %reldir%/tensor_dict.hpp \
	%reldir%/transfer.cpp %reldir%/transfer.hpp \
	%reldir%/workspace.cpp %reldir%/workspace.hpp
