// glibc's malloc tuning (mallopt, mallinfo2), which its Swift module does not export.
#include <malloc.h>
