# Tensor dictionaries: the dict, its metadata on the control plane (MessagePack), and its
# exchange (broadcast, send, recv with the all_gather_group slicing) over groups.
libmpcomm_la_SOURCES += \
	%reldir%/exchange.cpp \
	%reldir%/metadata.cpp %reldir%/metadata.hpp \
	%reldir%/tensor_dict.cpp %reldir%/tensor_dict.hpp \
	%reldir%/transfer.cpp %reldir%/transfer.hpp
