/* confdefs.h */
#define PACKAGE_NAME "mpcomm"
#define PACKAGE_TARNAME "mpcomm"
#define PACKAGE_VERSION "0.1.0"
#define PACKAGE_STRING "mpcomm 0.1.0"
#define PACKAGE_BUGREPORT "https://example.invalid/mpcomm/issues"
#define PACKAGE_URL ""
#define PACKAGE "mpcomm"
#define VERSION "0.1.0"
