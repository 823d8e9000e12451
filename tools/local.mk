# Installed programs.
# mpcomm-info: group layout, rank membership and build facts.
bin_PROGRAMS += tools/mpcomm-info
tools_mpcomm_info_SOURCES = tools/mpcomm-info.cpp
tools_mpcomm_info_LDADD = libmpcomm.la $(HWLOC_LIBS)
