if HAVE_CUDA
libmpcomm_la_SOURCES += %reldir%/device_probe.cu
endif
EXTRA_DIST += %reldir%/device_probe.cu
noinst_HEADERS = %reldir%/device_probe.h
